import type { AuditAction, AuditEvent, AuditOutcome } from '@mreg/shared';
import { ZRole } from '@mreg/shared';
import { aRole } from '../../roles';
import { duration } from '../servers/words';

/** How the audit log says things: each event as a sentence, its outcome and its action in words. */

/** The actions by area, as the filter offers them; each action's label names the events it picks. */
export const ACTION_GROUPS: { label: string; actions: AuditAction[] }[] = [
  { label: 'Sign-in and sessions', actions: ['auth.sign_in', 'auth.sign_out', 'session.revoked', 'tenant.switched'] },
  { label: 'Members', actions: ['member.added', 'member.role_changed', 'member.deactivated', 'member.reactivated', 'member.removed'] },
  { label: 'Servers', actions: ['server.created', 'server.changed', 'server.removed', 'server.unhealthy', 'server.recovered'] },
  { label: 'API keys', actions: ['api_key.created', 'api_key.revoked', 'api_key.first_used'] },
  // Not oauth.client_registered: a registration belongs to no tenant yet, so no tenant's log has one.
  { label: 'Connected apps', actions: ['oauth.grant_approved', 'oauth.grant_denied', 'oauth.grant_revoked', 'oauth.refresh_reuse'] },
  { label: 'Tools', actions: ['tool.called'] },
];

// A Record over every action: a new one in shared/ fails the type check until it has its words.
export const ACTION_LABEL: Record<AuditAction, string> = {
  'auth.sign_in': 'Sign-ins',
  'auth.sign_out': 'Sign-outs',
  'session.revoked': 'Sessions ended',
  'tenant.switched': 'Tenant switches',
  'member.added': 'Members added',
  'member.role_changed': 'Role changes',
  'member.deactivated': 'Members deactivated',
  'member.reactivated': 'Members reactivated',
  'member.removed': 'Members removed',
  'server.created': 'Servers added',
  'server.changed': 'Servers changed',
  'server.removed': 'Servers removed',
  'server.unhealthy': 'Servers found unhealthy',
  'server.recovered': 'Servers healthy again',
  'api_key.created': 'API keys created',
  'api_key.revoked': 'API keys revoked',
  'api_key.first_used': 'API keys used for the first time',
  'oauth.client_registered': 'MCP clients registered',
  'oauth.grant_approved': 'Access approved',
  'oauth.grant_denied': 'Access refused',
  'oauth.grant_revoked': 'Apps disconnected',
  'oauth.refresh_reuse': 'Refresh tokens reused',
  'tool.called': 'Tool calls',
};

/** How an event ended, on its badge; success has none. */
export const OUTCOME_LABEL: Record<AuditOutcome, string> = {
  success: 'Done',
  failure: 'Failed',
  refused: 'Refused',
  error: 'Error',
  cancelled: 'Cancelled',
  timeout: 'Timed out',
};

/** The person (or MREG, or who a failed sign-in said they were) who acted. */
export function actorName(event: Pick<AuditEvent, 'actor'>): string {
  const { actor } = event;
  if (actor.kind === 'system') return 'MREG';
  return actor.name ?? actor.email ?? 'Someone';
}

/** "via API key Laptop", "via Claude Desktop": how a person acted when it was not from the browser; else null. */
export function viaWords(event: Pick<AuditEvent, 'actor'>): string | null {
  const { actor } = event;
  if (actor.kind === 'api_key') return actor.credentialName ? `via API key ${actor.credentialName}` : 'via an API key';
  if (actor.kind === 'oauth_client') return `via ${actor.credentialName ?? 'an unnamed MCP client'}`;
  return null;
}

/** A stable reason code in words: "last_admin" -> "last admin". */
export const reasonWords = (reason: string) => reason.replaceAll('_', ' ');

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
/** A role in a sentence: "an admin", or the server's own word for one this app does not know. */
const roleWords = (value: unknown): string | null => {
  const known = ZRole.safeParse(value);
  return known.success ? aRole(known.data) : text(value);
};
const bareRole = (value: unknown): string | null => (ZRole.safeParse(value).success ? (value as string) : text(value));

/**
 * The event as a sentence, without the credential (`viaWords`) or the time: "Ada Lovelace removed Vic
 * Vance from Contoso", "Uma Example called the tool echo on the server everything (12 ms)",
 * "Sign-in failed for kim@x (unknown tenant)". `tenantName` is the tenant the log belongs to.
 */
export function eventSentence(event: AuditEvent, tenantName: string): string {
  const who = actorName(event);
  const target = event.target;
  const what = target?.label ?? target?.id ?? 'something';
  // The person acted on themselves (left, changed their own role...).
  const self = target?.kind === 'user' && event.actor.userId !== null && target.id === event.actor.userId;
  const whom = self ? 'themselves' : what;
  const d = event.details;
  const failed = event.outcome !== 'success';

  let sentence: string;
  switch (event.action) {
    case 'auth.sign_in':
      sentence = failed ? `Sign-in failed for ${who}` : `${who} signed in`;
      break;
    case 'auth.sign_out':
      sentence = `${who} signed out`;
      break;
    case 'session.revoked':
      // The session's owner is in the details; the target's label is their name.
      sentence = d.userId === event.actor.userId ? `${who} ended one of their sessions` : `${who} ended a session of ${target?.label ?? 'someone'}`;
      break;
    case 'tenant.switched':
      sentence = `${who} switched to ${target?.label ?? tenantName}`;
      break;
    case 'member.added': {
      const role = roleWords(d.role);
      sentence = `${who} added ${whom} to ${tenantName}${role ? ` as ${role}` : ''}`;
      break;
    }
    case 'member.role_changed': {
      const [role, previous] = [bareRole(d.role), bareRole(d.previousRole)];
      const subject = self ? 'their own' : `the`;
      sentence =
        role && previous && role !== previous
          ? `${who} changed ${subject} role${self ? '' : ` of ${what}`} from ${previous} to ${role}`
          : `${who} changed ${subject} permissions${self ? '' : ` of ${what}`}`;
      break;
    }
    case 'member.deactivated':
      sentence = `${who} deactivated ${whom} in ${tenantName}`;
      break;
    case 'member.reactivated': {
      const role = roleWords(d.role);
      sentence = `${who} reactivated ${whom} in ${tenantName}${role ? ` as ${role}` : ''}`;
      break;
    }
    case 'member.removed':
      sentence = `${who} removed ${whom} from ${tenantName}`;
      break;
    case 'server.created':
      sentence = `${who} added the server ${what}`;
      break;
    case 'server.changed':
      sentence = `${who} changed the server ${what}`;
      break;
    case 'server.removed':
      sentence = `${who} removed the server ${what}`;
      break;
    case 'server.unhealthy':
      sentence = `The server ${what} became unhealthy`;
      break;
    case 'server.recovered':
      sentence = `The server ${what} is healthy again`;
      break;
    case 'api_key.created':
      sentence = `${who} created the API key ${what}`;
      break;
    case 'api_key.revoked':
      sentence = `${who} revoked the API key ${what}`;
      break;
    case 'api_key.first_used':
      sentence = `${who} used the API key ${what} for the first time`;
      break;
    case 'oauth.client_registered':
      sentence = event.actor.kind === 'user' ? `${who} registered the MCP client ${what}` : `The MCP client ${what} registered itself`;
      break;
    case 'oauth.grant_approved':
      sentence = `${who} allowed ${what} to act for them in ${tenantName}`;
      break;
    case 'oauth.grant_denied':
      sentence = `${who} refused ${what} access to ${tenantName}`;
      break;
    case 'oauth.grant_revoked':
      sentence = `${who} disconnected ${what}`;
      break;
    case 'oauth.refresh_reuse':
      sentence = `A refresh token of ${what} was used twice, so its access was revoked`;
      break;
    case 'tool.called': {
      const tool = text(d.tool) ?? 'a tool';
      const server = text(d.server) ?? target?.label ?? null;
      sentence = `${who} called the tool ${tool}${server ? ` on the server ${server}` : ''}`;
      break;
    }
  }
  const notes = [event.durationMs !== null ? duration(event.durationMs) : null, event.reason ? reasonWords(event.reason) : null].filter(Boolean);
  return notes.length > 0 ? `${sentence} (${notes.join(', ')})` : sentence;
}

/** The credential's words are redundant where the sentence already names the key. */
export function eventVia(event: AuditEvent): string | null {
  return event.action === 'api_key.first_used' ? null : viaWords(event);
}
