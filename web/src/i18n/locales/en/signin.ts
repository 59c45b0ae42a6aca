/** The sign-in page: what MREG is, why the person is asked to sign in, and the one way in. */
export default {
  checking: 'Checking whether you are signed in…',
  title: 'Sign in to MREG',
  lead: "The MCP Registry Gateway: one place for your organisation's MCP servers, with your company sign-in, your tenants and what your role lets you do in each.",
  ended: 'Your session has ended. Sign in again to go back to where you were.',
  toOpen: 'Sign in to open <code>{{path}}</code>: MREG shows it only to people who are signed in. You will be taken there afterwards.',
  consent: 'An MCP client asks to connect to MREG as you. Sign in first; then you will see what it asks for, and approve or deny it.',
  signedOut: 'You have signed out.',
  invitation:
    'You have an invitation to join a tenant in MREG. Sign in with the email address it was sent to; then you will see who invited you and as what, and can accept or decline.',
  unreachable: 'The server could not be reached',
  signIn: 'Sign in',
  signInMicrosoft: 'Sign in with Microsoft',
  devNote:
    'This server uses its built-in <strong>development sign-in provider</strong>, because Microsoft Entra ID is not configured. You will pick one of the demo people (Ada, Uma or Vic), or give any other email address to sign in as a new person; nothing is checked. Never use this mode for real people.',
};
