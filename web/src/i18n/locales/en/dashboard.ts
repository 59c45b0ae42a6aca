/** The dashboard, where sign-in lands, and the page for an address that names no page. */
export default {
  welcome: 'Welcome, {{name}}',
  joined:
    'You joined {{tenant}} as {{role}}, and it is now your active tenant. Your other tenants are a switch away, at the top of the page.',
  activeTenant: 'Active tenant',
  noMembership: 'No active membership',
  yourRole: 'Your role',
  permissions: 'Permissions',
  noPermissions: 'None in this tenant',
  sessionEnds: 'Session ends at the latest',
  /** After "Tool calls" in the usage section: "Tool calls in Contoso through MREG." */
  usageScope: 'in {{tenant}}',
  quickLinks: 'Quick links',
  /** The role as the facts show it, and after "as" ("joined Contoso as an admin"). */
  role: {
    admin: 'admin',
    member: 'member',
    viewer: 'viewer',
  },
  roleAs: {
    admin: 'an admin',
    member: 'a member',
    viewer: 'a viewer',
  },
  notFound: {
    title: 'Page not found',
    text: 'There is no page at {{path}} here.',
    back: 'Go to the dashboard',
  },
};
