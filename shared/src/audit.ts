import { z } from 'zod';
import { ZIsoDate } from './auth';
import { orRequired } from './messages';

/**
 * The audit log (issue 21): who did what, in which tenant, from where, and how it ended. Events are
 * append-only; security events are written in the transaction of the change they record, tool
 * calls in batches (at most a second of them can be lost in a crash).
 */

/** Every action the log records, by area. */
export const AUDIT_ACTIONS = [
  'auth.sign_in',
  'auth.sign_out',
  'session.revoked',
  'tenant.switched',
  'member.added',
  'member.role_changed',
  'member.deactivated',
  'member.reactivated',
  'member.removed',
  'invitation.created',
  'invitation.renewed',
  'invitation.revoked',
  'invitation.declined',
  'server.created',
  'server.changed',
  'server.removed',
  'server.unhealthy',
  'server.recovered',
  'api_key.created',
  'api_key.revoked',
  'api_key.first_used',
  'oauth.client_registered',
  'oauth.grant_approved',
  'oauth.grant_denied',
  'oauth.grant_revoked',
  'oauth.refresh_reuse',
  'tool.called',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
export const ZAuditAction = z.enum(AUDIT_ACTIONS, { error: orRequired(`must be one of ${AUDIT_ACTIONS.join(', ')}`) });

/** Who acted: a person (browser session), a person's API key, an OAuth client acting for a person, MREG itself, or nobody known yet (a failed sign-in). */
export const AUDIT_ACTOR_KINDS = ['user', 'api_key', 'oauth_client', 'system', 'anonymous'] as const;
export type AuditActorKind = (typeof AUDIT_ACTOR_KINDS)[number];

/** How it ended: done; failed (a sign-in, a server going unhealthy); refused by MREG; an error (a tool call that failed: an MCP error, or a result with isError); cancelled; timed out. */
export const AUDIT_OUTCOMES = ['success', 'failure', 'refused', 'error', 'cancelled', 'timeout'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export const AUDIT_TARGET_KINDS = ['user', 'session', 'tenant', 'server', 'api_key', 'oauth_client', 'grant', 'invitation'] as const;
export type AuditTargetKind = (typeof AUDIT_TARGET_KINDS)[number];

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 200;

/** Where a page ended: its last event's time (microseconds since 1970) and id, as `<time>.<id>`. */
export const ZAuditCursor = z.string({ error: orRequired('must be a cursor from an earlier page') }).regex(/^[0-9]{1,17}\.[1-9][0-9]{0,17}$/, {
  error: 'must be a cursor from an earlier page',
});

/** What `audit.list` and the CSV export filter by; `since` inclusive, `until` exclusive. */
export const ZAuditFilter = z.strictObject({
  action: ZAuditAction.optional(),
  actorId: z.uuid({ error: orRequired('must be a person id (a UUID)') }).optional(),
  since: z.iso.datetime({ offset: true, error: orRequired('must be a date and time (ISO 8601)') }).optional(),
  until: z.iso.datetime({ offset: true, error: orRequired('must be a date and time (ISO 8601)') }).optional(),
});
export type AuditFilter = z.infer<typeof ZAuditFilter>;

export const ZListAuditInput = ZAuditFilter.extend({
  cursor: ZAuditCursor.optional(),
  limit: z
    .int({ error: orRequired(`must be a whole number from 1 to ${AUDIT_PAGE_MAX}`) })
    .min(1, { error: 'must be at least 1' })
    .max(AUDIT_PAGE_MAX, { error: `must be at most ${AUDIT_PAGE_MAX}` })
    .optional(),
}).refine((input) => !input.since || !input.until || Date.parse(input.since) < Date.parse(input.until), {
  error: 'must be after since',
  path: ['until'],
});
export type ListAuditInput = z.infer<typeof ZListAuditInput>;

export const ZAuditEvent = z.object({
  id: z.string(),
  at: ZIsoDate,
  tenantId: z.string().nullable(),
  actor: z.object({
    kind: z.enum(AUDIT_ACTOR_KINDS),
    userId: z.string().nullable(),
    /** The person's name as it is now (or as it was when the event was written, for one no longer known). */
    name: z.string().nullable(),
    email: z.string().nullable(),
    /** The API key's id or the OAuth client's id. */
    credentialId: z.string().nullable(),
    /** The API key's or OAuth client's name as it is now; null once it is gone (an OAuth client cleaned up). */
    credentialName: z.string().nullable(),
  }),
  action: ZAuditAction,
  target: z
    .object({
      kind: z.enum(AUDIT_TARGET_KINDS),
      id: z.string(),
      /** A person's name as it is now (for a session: its owner's); otherwise the name the thing had when the event was written. */
      label: z.string().nullable(),
    })
    .nullable(),
  outcome: z.enum(AUDIT_OUTCOMES),
  reason: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  requestId: z.string().nullable(),
  durationMs: z.number().nullable(),
  /** What else the action carries (a role before and after, a tool's name); never secrets, tool arguments or results. */
  details: z.record(z.string(), z.unknown()),
});
export type AuditEvent = z.infer<typeof ZAuditEvent>;

export const ZAuditPage = z.object({ events: z.array(ZAuditEvent), nextCursor: ZAuditCursor.nullable() });
export type AuditPage = z.infer<typeof ZAuditPage>;

/** Usage from the tool-call events: the whole tenant, or one server. */
export const ZUsageInput = z.strictObject({ serverId: z.uuid({ error: orRequired('must be a server id (a UUID)') }).optional() });
export type UsageInput = z.infer<typeof ZUsageInput>;

/** One stretch of time: its calls, how many failed, and the latency (milliseconds; null without calls). */
export const ZUsageBucket = z.object({
  start: ZIsoDate,
  calls: z.number(),
  errors: z.number(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
});
export type UsageBucket = z.infer<typeof ZUsageBucket>;

export const ZUsageWindow = z.object({
  /** The whole window's figures. */
  total: ZUsageBucket,
  /** Hourly for the last 24 hours, daily for the last 7 days; oldest first, empty stretches included. */
  buckets: z.array(ZUsageBucket),
});
export type UsageWindow = z.infer<typeof ZUsageWindow>;

export const ZUsage = z.object({
  day: ZUsageWindow,
  week: ZUsageWindow,
  /** Over the last 7 days, for audit:read only (null otherwise). */
  topTools: z.array(z.object({ serverId: z.string().nullable(), server: z.string(), tool: z.string(), calls: z.number(), errors: z.number() })).nullable(),
  topPeople: z.array(z.object({ userId: z.string(), name: z.string(), email: z.string(), calls: z.number() })).nullable(),
});
export type Usage = z.infer<typeof ZUsage>;
