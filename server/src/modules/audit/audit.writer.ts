import { AsyncLocalStorage } from 'node:async_hooks';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditAction, AuditOutcome, AuditTargetKind } from '@mreg/shared';
import type { Metrics } from '../../metrics/metrics';
import type { BearerCaller } from '../apikeys/caller';

/**
 * Writing audit events. A security event is written by the service that makes the change, with its
 * transaction's EntityManager, so that the change and its event commit (or roll back) together.
 * Where the request came from (address, user agent, request id) is the request's scope, set by the
 * host (http/audit-scope.ts) and read here, so that services need not carry it.
 */

/** Who acted. */
export type AuditActor =
  | { kind: 'user'; userId: string }
  | { kind: 'api_key'; userId: string; keyId: string }
  | { kind: 'oauth_client'; userId: string; clientId: string }
  | { kind: 'system' }
  /** Nobody known yet (a sign-in that failed); `label` is who they said they were, if anyone. */
  | { kind: 'anonymous'; label?: string };

/** An actor who is a person, or acts for one. */
export type PersonActor = Extract<AuditActor, { userId: string }>;

export interface AuditTarget {
  kind: AuditTargetKind;
  id: string;
  /** The thing's name now, kept for when it is gone: a server's name, a key's name, an email. */
  label?: string | null;
}

export interface AuditRecord {
  action: AuditAction;
  /** Null for what happens outside any tenant (a sign-in refused before one is known). */
  tenantId: string | null;
  actor: AuditActor;
  target?: AuditTarget | null;
  outcome?: AuditOutcome;
  /** A stable code (shared/errors.ts reasons, sign-in failures), never free text from a client. */
  reason?: string | null;
  durationMs?: number | null;
  /** Small and safe: never secrets, tool arguments or results. */
  details?: Record<string, unknown>;
  /** Defaults to the database's now(). */
  at?: Date;
}

/** Where the request being served came from, and where its events are counted. */
export interface AuditScope {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  metrics?: Pick<Metrics, 'auditWritten'>;
}

const scopes = new AsyncLocalStorage<AuditScope>();

/** Runs `fn` with `scope` as the audit scope of everything it does, awaited work included. */
export function withAuditScope<T>(scope: AuditScope, fn: () => T): T {
  return scopes.run(scope, fn);
}

/** The scope of the request (or job) being served, if any. */
export function currentAuditScope(): AuditScope | undefined {
  return scopes.getStore();
}

/** The actor of a bearer request: the API key, or the OAuth client acting for its person. */
export function bearerActor(caller: Pick<BearerCaller, 'credential' | 'userId'>): PersonActor {
  return caller.credential.kind === 'apiKey'
    ? { kind: 'api_key', userId: caller.userId, keyId: caller.credential.id }
    : { kind: 'oauth_client', userId: caller.userId, clientId: caller.credential.clientId };
}

/** The row's columns, in the order of AUDIT_COLUMNS. */
export type AuditRow = [
  at: string | null,
  tenantId: string | null,
  actorKind: string,
  actorUserId: string | null,
  actorLabel: string | null,
  actorCredentialId: string | null,
  action: string,
  targetKind: string | null,
  targetId: string | null,
  targetLabel: string | null,
  outcome: string,
  reason: string | null,
  ip: string | null,
  userAgent: string | null,
  requestId: string | null,
  durationMs: number | null,
  details: string,
];

export const AUDIT_COLUMNS = [
  'at',
  'tenant_id',
  'actor_kind',
  'actor_user_id',
  'actor_label',
  'actor_credential_id',
  'action',
  'target_kind',
  'target_id',
  'target_label',
  'outcome',
  'reason',
  'ip',
  'user_agent',
  'request_id',
  'duration_ms',
  'details',
] as const;

/** Lone surrogates (also those a clip leaves): PostgreSQL's text and jsonb take only well-formed UTF-16. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/**
 * A string PostgreSQL will store: NUL and lone surrogates (which a client can put in a tool's name,
 * and text and jsonb refuse) replaced by U+FFFD, so that one event never makes its batch fail.
 */
const storable = (value: string) => value.replaceAll('\0', '\uFFFD').replace(LONE_SURROGATE, '\uFFFD');
const clip = (value: string | null | undefined, max: number) => (value == null ? null : storable(value.slice(0, max)));
const detailsJson = (details: Record<string, unknown> | undefined) =>
  JSON.stringify(details ?? {}, (_key, value: unknown) => (typeof value === 'string' ? storable(value) : value));

/** The record as a row, with the scope's origin. */
export function auditRow(record: AuditRecord, scope = currentAuditScope()): AuditRow {
  const { actor } = record;
  return [
    record.at?.toISOString() ?? null,
    record.tenantId,
    actor.kind,
    'userId' in actor ? actor.userId : null,
    actor.kind === 'anonymous' ? clip(actor.label, 255) : null,
    actor.kind === 'api_key' ? actor.keyId : actor.kind === 'oauth_client' ? actor.clientId : null,
    record.action,
    record.target?.kind ?? null,
    clip(record.target?.id, 255),
    clip(record.target?.label, 255),
    record.outcome ?? 'success',
    clip(record.reason, 255),
    clip(scope?.ip, 64),
    clip(scope?.userAgent, 500),
    clip(scope?.requestId, 128),
    record.durationMs ?? null,
    detailsJson(record.details),
  ];
}

/** Each column's placeholder: the time defaults to the database's (the transaction's) now. */
const PLACEHOLDER: Partial<Record<(typeof AUDIT_COLUMNS)[number], string>> = {
  at: 'coalesce(?::timestamptz, now())',
  actor_user_id: '?::uuid',
  details: '?::jsonb',
};
const PLACEHOLDERS = `(${AUDIT_COLUMNS.map((column) => PLACEHOLDER[column] ?? '?').join(', ')})`;
const INSERT = `insert into audit_events (${AUDIT_COLUMNS.join(', ')}) values `;

/**
 * Writes one security event with `tx`, the transaction of the change it records: if the change rolls
 * back, so does its event, and no change commits without it.
 */
export async function audit(tx: EntityManager, record: AuditRecord): Promise<void> {
  const scope = currentAuditScope();
  await tx.execute(INSERT + PLACEHOLDERS, auditRow(record, scope));
  scope?.metrics?.auditWritten('security', 1);
}

/** Writes many events in one statement (the tool-call buffer's flush). */
export async function auditMany(em: EntityManager, rows: readonly AuditRow[]): Promise<void> {
  if (rows.length === 0) return;
  await em.execute(INSERT + rows.map(() => PLACEHOLDERS).join(', '), rows.flat());
}
