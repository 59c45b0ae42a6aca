/**
 * The floor of MREG's stack: Express 5 and tRPC 11 with the middleware MREG's host puts in front of
 * /trpc (server/src/app.ts: helmet with its CSP, pino-http with its request id and serializers,
 * cookie-parser, the JSON body limit), and one authed procedure whose session is a Map lookup in
 * this process and whose answer is a fixed object of auth.user's shape and size, checked against
 * the real ZAuthUser output schema. No database, no cache, no metrics: what is left of MREG's cost
 * per request above this is MREG's own. Prints `LISTENING <url>` once it listens on a free loopback
 * port.
 *
 *   BENCH_EMAIL: the user's email in the answer
 *   BENCH_SESSION_TOKEN: the one `mreg_session` cookie value this server knows
 */
import { randomUUID } from 'node:crypto';
import { initTRPC, TRPCError } from '@trpc/server';
import { createExpressMiddleware, type CreateExpressContextOptions } from '@trpc/server/adapters/express';
import cookieParser from 'cookie-parser';
import express from 'express';
import { ZAuthUser, ZNoInput, type AuthUser } from '@mreg/shared';
import { requestLogging, securityHeaders } from '@mreg/server/http/host-middleware';
import { createLogger } from '@mreg/server/logger';

const email = process.env.BENCH_EMAIL ?? 'ada@example.com';
const token = process.env.BENCH_SESSION_TOKEN;
if (!token) throw new Error('BENCH_SESSION_TOKEN is required: the floor answers only that session');

const PERMISSIONS = ['registry:read', 'registry:write', 'tools:call', 'members:read', 'members:manage', 'sessions:manage', 'audit:read'] as const;
const TENANT_ID = '6a1c0e2b-4a7d-4c44-9a51-0c0a70500001';
const now = new Date();
const iso = (offsetMs: number) => new Date(now.getTime() + offsetMs).toISOString();
// The shape and values of a real auth.user answer for the bench's demo user (1036 bytes of JSON, as
// MREG's), so that the output schema checks as many UUIDs, dates and arrays as MREG's does.
const answer: AuthUser = {
  user: { id: randomUUID(), email, name: 'Ada Lovelace', roles: ['admin'], tenantId: TENANT_ID },
  profile: { id: randomUUID(), displayName: null, avatarUrl: null, bio: null, preferences: {}, createdAt: iso(0), updatedAt: iso(0) },
  preferences: {},
  tenantContext: { tenantId: TENANT_ID, tenantName: 'Contoso', role: 'admin', isAdmin: true, permissions: [...PERMISSIONS] },
  permissions: [...PERMISSIONS],
  sessionInfo: {
    sessionId: randomUUID(),
    createdAt: iso(0),
    expiresAt: iso(24 * 3600_000),
    absoluteExpiresAt: iso(7 * 24 * 3600_000),
    lastActivity: iso(0),
    idleTimeoutMinutes: 720,
  },
};
const sessions = new Map([[token, answer]]);

// MREG's logger at the level the bench gives MREG: nothing per request is written.
const logger = createLogger('warn');

const t = initTRPC.context<{ token: string | undefined }>().create();
const authedProcedure = t.procedure.use(({ ctx, next }) => {
  const session = ctx.token === undefined ? undefined : sessions.get(ctx.token);
  if (!session) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first: there is no valid session' });
  return next({ ctx: { session } });
});
const appRouter = t.router({
  auth: t.router({
    user: authedProcedure
      .input(ZNoInput)
      .output(ZAuthUser)
      .query(({ ctx }) => ctx.session),
  }),
});

const app = express();
// MREG's own first layers (server/src/http/host-middleware.ts), for an http public URL as the bench runs MREG.
app.use(securityHeaders(false));
app.use(requestLogging(logger));
app.use(cookieParser());
app.use(
  '/trpc',
  // MREG's TRPC_MAX_BODY_BYTES.
  express.json({ limit: 256 * 1024 }),
  createExpressMiddleware({
    router: appRouter,
    createContext: ({ req }: CreateExpressContextOptions) => ({ token: req.cookies?.mreg_session as string | undefined }),
  }),
);

const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`LISTENING http://127.0.0.1:${port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
