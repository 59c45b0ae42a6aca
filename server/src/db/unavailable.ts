/**
 * Failures that mean "there is no database to talk to right now" (stopped, restarting, unreachable,
 * or every pooled connection busy past the acquire timeout), as opposed to "this query is wrong".
 * They are answered SERVICE_UNAVAILABLE (clientError in errors.ts), which clients may retry, instead
 * of a 500 that reads like a bug. Seen on PostgreSQL 15 with pg 8 and knex 3 through MikroORM 6: MikroORM's DriverException
 * keeps the driver's `code`, knex's transactions throw pg's errors as they are, so the code, the
 * name and the message are looked at along the `cause` chain.
 */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);
/**
 * SQLSTATE class 08 (connection exception); 57P01-57P03: shut down by an admin or a crash, or
 * starting up; 57014: cancelled, as statement_timeout does to a query the database cannot finish in time.
 */
const SQLSTATE = /^(08[0-9A-Z]{3}|57P0[123]|57014)$/;
const MESSAGES = [
  /Connection terminated/i, // pg: the server went away mid-query, or the connect timeout passed
  /timeout exceeded when trying to connect/i, // pg: connectionTimeoutMillis
  /Timeout acquiring a connection/i, // knex: acquireTimeoutMillis, pool full
  /Client has encountered a connection error/i,
  /Query read timeout/i, // pg: query_timeout, a database that took the query and never answered
];

export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'string' && (SOCKET_CODES.has(code) || SQLSTATE.test(code))) return true;
    // The embedded PostgreSQL's Unix socket is gone (the cluster stopped); any other missing file is no outage.
    if (code === 'ENOENT' && (current as { syscall?: unknown }).syscall === 'connect') return true;
    if (current.name === 'KnexTimeoutError' || MESSAGES.some((pattern) => pattern.test(current instanceof Error ? current.message : ''))) return true;
    current = current.cause;
  }
  return false;
}
