// Prints my MREG sessions. From the repository's root, with the mreg_session cookie's value (the
// browser's developer tools show it) in MREG_SESSION:
//   read -rs MREG_SESSION && export MREG_SESSION
//   MREG_URL=http://127.0.0.1:8000 pnpm tsx client/examples/my-sessions.ts
import { createMregClient, isUnauthorized } from '@mreg/client';

const url = process.env.MREG_URL ?? 'http://127.0.0.1:8000';
const sessionToken = process.env.MREG_SESSION;
if (!sessionToken) {
  console.error('Set MREG_SESSION to the value of your mreg_session cookie (the browser\'s developer tools show it).');
  process.exit(2);
}

const client = createMregClient(url, { sessionToken });
try {
  const { user } = await client.auth.user.query();
  const sessions = await client.auth.sessions.query();
  console.log(`${user.name} <${user.email}>: ${sessions.length} session${sessions.length === 1 ? '' : 's'}`);
  for (const s of sessions) {
    console.log(`${s.isCurrent ? '*' : ' '} ${s.sessionId}  ${s.device}  ${s.ipAddress ?? '-'}  last active ${s.lastActivity}`);
  }
} catch (error) {
  console.error(isUnauthorized(error) ? `Not signed in at ${url}: the session has ended or the cookie is wrong.` : `Could not reach MREG at ${url}: ${(error as Error).message}`);
  process.exit(1);
}
