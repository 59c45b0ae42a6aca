import type { RequestHandler } from 'express';
import type { Metrics } from '../metrics/metrics';
import { withAuditScope } from '../modules/audit/audit.writer';

/**
 * Gives the rest of the request its audit scope (modules/audit/audit.writer.ts): the client's address
 * (req.ip, as MREG_TRUST_PROXY allows), its user agent and the request id, for every event the
 * request writes. Body parsers keep it: raw-body runs its callback in the caller's async context.
 */
export function auditScope(metrics?: Pick<Metrics, 'auditWritten'>): RequestHandler {
  return (req, _res, next) => {
    const id = (req as { id?: unknown }).id;
    withAuditScope({ ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null, requestId: typeof id === 'string' ? id : null, metrics }, next);
  };
}
