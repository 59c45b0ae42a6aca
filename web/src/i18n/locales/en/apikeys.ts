/** The API keys page: creating a key (its secret shown once), the list, revoking. */
export default {
  /** Stands for the tenant's name where it is not known; German puts it in the dative ("in diesem Mandanten"). */
  thisTenant: 'this tenant',
  title: 'API keys',
  lead: 'Personal keys for MCP clients and scripts. A key acts for you in {{tenant}}, with your permissions there: no more, and only as long as you are a member.',
  leadWithRole:
    'Personal keys for MCP clients and scripts. A key acts for you in {{tenant}}, with your permissions there ({{role}}): no more, and only as long as you are a member.',
  /** The roles as the lead names them, in brackets. */
  roles: {
    admin: 'admin',
    member: 'member',
    viewer: 'viewer',
  },
  revoked: 'Revoked {{name}}: it no longer works.',
  revokeFailed: '{{name}} could not be revoked',
  listTitle: 'Your keys in {{tenant}}',
  loading: 'Loading your API keys…',
  loadError: 'Your API keys could not be loaded',
  emptyTitle: 'You have no API keys in {{tenant}}.',
  emptyText:
    "An API key lets an MCP client (Claude, VS Code, Cursor…) or a script of yours reach {{tenant}}'s servers through MREG's MCP address, without a browser. Create one above, then paste it into the client's configuration: <connect>Connect an MCP client</connect> shows how.",
  create: {
    title: 'Create a key',
    name: 'Name',
    nameHint: 'What uses it, such as "Claude on my laptop" or "nightly report"; at most {{max}} characters.',
    expires: 'Expires',
    expiresHint: '"Never": until you revoke it or leave {{tenant}}.',
    /** The expiry choices, by the days they stand for. */
    choices: {
      '7': 'In 7 days',
      '30': 'In 30 days',
      '90': 'In 90 days',
      '365': 'In 1 year',
      never: 'Never',
    },
    submit: 'Create key',
    creating: 'Creating…',
    failed: 'The key was not created',
  },
  table: {
    label: 'Your API keys in {{tenant}}',
    name: 'Name',
    key: 'Key',
    created: 'Created',
    expires: 'Expires',
    lastUsed: 'Last used',
    action: 'Action',
    never: 'Never',
    expired: 'Expired',
    neverUsed: 'Never used',
    revoke: 'Revoke',
    revokeLabel: 'Revoke {{name}} ({{hint}})',
  },
  created: {
    title: 'Your new key: {{name}}',
    warning: '<strong>Copy it now: it will not be shown again.</strong> MREG keeps only a fingerprint of it. If you lose it, revoke it and create another.',
    label: 'API key',
    what: 'the key {{name}}',
    use: 'Paste it where your MCP client or script asks for it (see <connect>Connect an MCP client</connect>); it goes in the header <code>{{header}}</code>. Keep it out of code and chats: anyone who has it acts as you.',
    done: 'Done',
  },
  revoke: {
    title: 'Revoke {{name}}?',
    titleUnnamed: 'Revoke the key?',
    confirm: 'Revoke key',
    body: 'Whatever uses <code>{{hint}}</code> is refused from its next request on: MCP clients and scripts with this key must be given another.',
    final: 'This cannot be undone.',
  },
};
