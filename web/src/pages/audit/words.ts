import type { AuditAction, AuditEvent, AuditOutcome } from '@mreg/shared';
import { ZRole } from '@mreg/shared';
import { codeKey, i18n } from '../../i18n';
import { duration } from '../servers/words';

/**
 * How the audit log says things: each event as a sentence, its outcome and its action in words, in
 * the app's language at the time of the call. Durations take the person's `locale` where the caller
 * knows it; without it they follow the app's language.
 */

const t = i18n.getFixedT(null, 'audit');

/** The actions by area, as the filter offers them; each action's label names the events it picks. */
export const ACTION_GROUPS: { group: 'signIn' | 'members' | 'servers' | 'apiKeys' | 'connectedApps' | 'tools'; actions: AuditAction[] }[] = [
  { group: 'signIn', actions: ['auth.sign_in', 'auth.sign_out', 'session.revoked', 'tenant.switched'] },
  {
    group: 'members',
    actions: [
      'member.added',
      'member.role_changed',
      'member.deactivated',
      'member.reactivated',
      'member.removed',
      'invitation.created',
      'invitation.renewed',
      'invitation.revoked',
      'invitation.declined',
    ],
  },
  { group: 'servers', actions: ['server.created', 'server.changed', 'server.removed', 'server.unhealthy', 'server.recovered'] },
  { group: 'apiKeys', actions: ['api_key.created', 'api_key.revoked', 'api_key.first_used'] },
  // Not oauth.client_registered: a registration belongs to no tenant yet, so no tenant's log has one.
  { group: 'connectedApps', actions: ['oauth.grant_approved', 'oauth.grant_denied', 'oauth.grant_revoked', 'oauth.refresh_reuse'] },
  { group: 'tools', actions: ['tool.called'] },
];

export const groupLabel = (group: (typeof ACTION_GROUPS)[number]['group']) => t(`groups.${group}`);

// A Record over every action: a new one in shared/ fails the type check until it has its words.
const ACTION_KEY = {
  'auth.sign_in': 'authSignIn',
  'auth.sign_out': 'authSignOut',
  'session.revoked': 'sessionRevoked',
  'tenant.switched': 'tenantSwitched',
  'member.added': 'memberAdded',
  'member.role_changed': 'memberRoleChanged',
  'member.deactivated': 'memberDeactivated',
  'member.reactivated': 'memberReactivated',
  'member.removed': 'memberRemoved',
  'invitation.created': 'invitationCreated',
  'invitation.renewed': 'invitationRenewed',
  'invitation.revoked': 'invitationRevoked',
  'invitation.declined': 'invitationDeclined',
  'server.created': 'serverCreated',
  'server.changed': 'serverChanged',
  'server.removed': 'serverRemoved',
  'server.unhealthy': 'serverUnhealthy',
  'server.recovered': 'serverRecovered',
  'api_key.created': 'apiKeyCreated',
  'api_key.revoked': 'apiKeyRevoked',
  'api_key.first_used': 'apiKeyFirstUsed',
  'oauth.client_registered': 'oauthClientRegistered',
  'oauth.grant_approved': 'oauthGrantApproved',
  'oauth.grant_denied': 'oauthGrantDenied',
  'oauth.grant_revoked': 'oauthGrantRevoked',
  'oauth.refresh_reuse': 'oauthRefreshReuse',
  'tool.called': 'toolCalled',
} as const satisfies Record<AuditAction, string>;

/** The action as the filter offers it: "Role changes". */
export const actionLabel = (action: AuditAction) => t(`actions.${ACTION_KEY[action]}`);

/** How an event ended, on its badge; success has none. */
export const outcomeLabel = (outcome: AuditOutcome) => t(`outcomes.${outcome}`);

/** The person (or MREG, or who a failed sign-in said they were) who acted. */
export function actorName(event: Pick<AuditEvent, 'actor'>): string {
  const { actor } = event;
  if (actor.kind === 'system') return t('sentences.system');
  return actor.name ?? actor.email ?? t('sentences.someone');
}

/** "via API key Laptop", "via Claude Desktop": how a person acted when it was not from the browser; else null. */
export function viaWords(event: Pick<AuditEvent, 'actor'>): string | null {
  const { actor } = event;
  if (actor.kind === 'api_key') return actor.credentialName ? t('sentences.viaKey', { name: actor.credentialName }) : t('sentences.viaUnnamedKey');
  if (actor.kind === 'oauth_client') return actor.credentialName ? t('sentences.viaClient', { name: actor.credentialName }) : t('sentences.viaUnnamedClient');
  return null;
}

// Reason keys are chosen at run time, from the code the log kept, so the typed t's per-key checks do not apply.
const sayReason = t as unknown as (key: string) => string;

/** A stable reason code in words: "last_admin" -> "last admin"; a code this app has no words for, with spaces. */
export function reasonWords(reason: string): string {
  const key = `reasons.${codeKey(reason)}`;
  return i18n.exists(key, { ns: 'audit' }) ? sayReason(key) : reason.replaceAll('_', ' ');
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
/** A role after "as": "an admin", or the server's own word for one this app does not know. */
const roleWords = (value: unknown): string | null => {
  const known = ZRole.safeParse(value);
  return known.success ? t(`roleAs.${known.data}`) : text(value);
};
/** A role on its own: "admin". */
const bareRole = (value: unknown): string | null => {
  const known = ZRole.safeParse(value);
  return known.success ? t(`role.${known.data}`) : text(value);
};

/**
 * The event as a sentence, without the credential (`viaWords`) or the time: "Ada Lovelace removed Vic
 * Vance from Contoso", "Uma Example called the tool echo on the server everything (12 ms)",
 * "Sign-in failed for kim@x (tenant not allowed)". `tenantName` is the tenant the log belongs to.
 */
export function eventSentence(event: AuditEvent, tenantName: string, locale?: string): string {
  const who = actorName(event);
  const target = event.target;
  const what = target?.label ?? target?.id ?? t('sentences.something');
  // The person acted on themselves (left, changed their own role...).
  const self = target?.kind === 'user' && event.actor.userId !== null && target.id === event.actor.userId;
  const whom = self ? t('sentences.themselves') : what;
  const tenant = tenantName;
  const d = event.details;
  const failed = event.outcome !== 'success';

  let sentence: string;
  switch (event.action) {
    case 'auth.sign_in':
      // A sign-in that failed before anyone was named says so rather than blame "Someone".
      if (failed) sentence = event.actor.name || event.actor.email ? t('sentences.signInFailed', { who }) : t('sentences.someSignInFailed');
      else sentence = t('sentences.signedIn', { who });
      break;
    case 'auth.sign_out':
      sentence = t('sentences.signedOut', { who });
      break;
    case 'session.revoked':
      // The session's owner is in the details; the target's label is their name.
      sentence =
        d.userId === event.actor.userId
          ? t('sentences.sessionEndedOwn', { who })
          : target?.label
            ? t('sentences.sessionEnded', { who, whom: target.label })
            : t('sentences.sessionEndedUnknown', { who });
      break;
    case 'tenant.switched':
      sentence = t('sentences.switched', { who, tenant: target?.label ?? tenantName });
      break;
    case 'member.added': {
      const role = roleWords(d.role);
      // Through an invitation they accepted, the person added themselves: said as joining.
      if (role && self && typeof d.invitation === 'string') sentence = t('sentences.joinedAs', { who, tenant, role });
      else sentence = role ? t('sentences.memberAddedAs', { who, whom, tenant, role }) : t('sentences.memberAdded', { who, whom, tenant });
      break;
    }
    case 'invitation.created':
      sentence = t('sentences.invited', { who, whom: what, tenant, role: roleWords(d.role) ?? '' });
      break;
    case 'invitation.renewed':
      sentence = t('sentences.inviteRenewed', { who, whom: what });
      break;
    case 'invitation.revoked':
      sentence = t('sentences.inviteRevoked', { who, whom: what });
      break;
    case 'invitation.declined':
      sentence = t('sentences.inviteDeclined', { who, tenant });
      break;
    case 'member.role_changed': {
      const [role, previous] = [bareRole(d.role), bareRole(d.previousRole)];
      const changed = role && previous && role !== previous;
      if (self) sentence = changed ? t('sentences.roleChangedOwn', { who, previous, role }) : t('sentences.permissionsChangedOwn', { who });
      else sentence = changed ? t('sentences.roleChanged', { who, whom: what, previous, role }) : t('sentences.permissionsChanged', { who, whom: what });
      break;
    }
    case 'member.deactivated':
      sentence = t('sentences.deactivated', { who, whom, tenant });
      break;
    case 'member.reactivated': {
      const role = roleWords(d.role);
      sentence = role ? t('sentences.reactivatedAs', { who, whom, tenant, role }) : t('sentences.reactivated', { who, whom, tenant });
      break;
    }
    case 'member.removed':
      sentence = t('sentences.removed', { who, whom, tenant });
      break;
    case 'server.created':
      sentence = t('sentences.serverCreated', { who, what });
      break;
    case 'server.changed':
      sentence = t('sentences.serverChanged', { who, what });
      break;
    case 'server.removed':
      sentence = t('sentences.serverRemoved', { who, what });
      break;
    case 'server.unhealthy':
      sentence = t('sentences.serverUnhealthy', { what });
      break;
    case 'server.recovered':
      sentence = t('sentences.serverRecovered', { what });
      break;
    case 'api_key.created':
      sentence = t('sentences.keyCreated', { who, what });
      break;
    case 'api_key.revoked':
      sentence = t('sentences.keyRevoked', { who, what });
      break;
    case 'api_key.first_used':
      sentence = t('sentences.keyFirstUsed', { who, what });
      break;
    case 'oauth.client_registered':
      sentence = event.actor.kind === 'user' ? t('sentences.clientRegisteredBy', { who, what }) : t('sentences.clientRegistered', { what });
      break;
    case 'oauth.grant_approved':
      sentence = t('sentences.grantApproved', { who, what, tenant });
      break;
    case 'oauth.grant_denied':
      sentence = t('sentences.grantDenied', { who, what, tenant });
      break;
    case 'oauth.grant_revoked':
      sentence = t('sentences.grantRevoked', { who, what });
      break;
    case 'oauth.refresh_reuse':
      sentence = t('sentences.refreshReuse', { what });
      break;
    case 'tool.called': {
      const tool = text(d.tool);
      const server = text(d.server) ?? target?.label ?? null;
      if (tool) sentence = server ? t('sentences.toolCalledOn', { who, tool, server }) : t('sentences.toolCalled', { who, tool });
      else sentence = server ? t('sentences.someToolCalledOn', { who, server }) : t('sentences.someToolCalled', { who });
      break;
    }
  }
  const notes = [event.durationMs !== null ? duration(event.durationMs, locale) : null, event.reason ? reasonWords(event.reason) : null].filter(Boolean);
  return notes.length > 0 ? `${sentence} (${notes.join(', ')})` : sentence;
}

/** The credential's words are redundant where the sentence already names the key. */
export function eventVia(event: AuditEvent): string | null {
  return event.action === 'api_key.first_used' ? null : viaWords(event);
}
