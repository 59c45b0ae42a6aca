import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, RequestHandler, Response } from 'express';
import { stringify } from 'csv-stringify';
import { ZAuditFilter, type AuditEvent } from '@mreg/shared';
import { describeIssues, requireTenantPermission } from '../lib/tenant-access';
import { auditEventPages } from '../modules/audit/audit.service';
import type { RequestSession } from '../trpc/context';
import { refuse } from './errors';

/**
 * `GET /audit/export.csv`: the active tenant's audit log under the filter of `audit.list` (action,
 * actorId, since, until as query parameters), streamed as CSV, newest first. For a signed-in person
 * (the session cookie) or an API key, with audit:read in its tenant. Cells that a spreadsheet would
 * run as a formula (=, +, -, @, tab, CR first) are written with a leading apostrophe.
 */

const COLUMNS = [
  'id',
  'at',
  'tenant_id',
  'actor_kind',
  'actor_user_id',
  'actor_name',
  'actor_email',
  'credential_id',
  'credential_name',
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
];

const toRecord = (event: AuditEvent) => [
  event.id,
  event.at,
  event.tenantId,
  event.actor.kind,
  event.actor.userId,
  event.actor.name,
  event.actor.email,
  event.actor.credentialId,
  event.actor.credentialName,
  event.action,
  event.target?.kind,
  event.target?.id,
  event.target?.label,
  event.outcome,
  event.reason,
  event.ip,
  event.userAgent,
  event.requestId,
  event.durationMs,
  JSON.stringify(event.details),
];

export function auditExportRoute(sessionOf: (req: Request, res: Response) => RequestSession): RequestHandler {
  return async (req, res, next) => {
    try {
      const { em, session: lookup, bearer: check } = sessionOf(req, res);
      const [session, bearer] = await Promise.all([lookup(), check()]);
      if (bearer && !bearer.ok) return refuse(res, 401, bearer.message);
      if (!bearer && !session) return refuse(res, 401, 'Sign in first: there is no valid session');
      // As audit.list: tRPC's rules and words, through the app's error map.
      const tenant = requireTenantPermission(bearer ? bearer.caller.tenant : session?.tenantContext, 'audit:read');
      const parsed = ZAuditFilter.safeParse(req.query);
      if (!parsed.success) return refuse(res, 400, describeIssues(parsed.error, 'query'));

      const pages = auditEventPages(em, tenant.tenantId, parsed.data);
      // The first page read before the answer starts: a failing database is then still a clean 503.
      const first = await pages.next();
      res.set({
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="audit-${new Date().toISOString().slice(0, 10)}.csv"`,
        'Cache-Control': 'no-store',
      });
      async function* records() {
        if (first.done) return;
        for (const event of first.value) yield toRecord(event);
        for await (const page of pages) for (const event of page) yield toRecord(event);
      }
      await pipeline(Readable.from(records()), stringify({ header: true, columns: COLUMNS, escape_formulas: true }), res).catch((error: unknown) => {
        // Halfway through, the answer cannot turn into an error any more: it is cut short, and logged.
        req.log?.warn({ err: error }, 'Audit export ended early');
        res.destroy();
      });
    } catch (error) {
      next(error);
    }
  };
}
