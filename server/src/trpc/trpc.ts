import { initTRPC, TRPCError } from '@trpc/server';
import type { Permission, TenantContext } from '@mreg/shared';
// zod's messages in MREG's words (shared/src/messages.ts), which the error formatter below passes on.
import '@mreg/shared';
import type { FeatureSwitch } from '../config';
import { AppError } from '../errors';
import { ZodError, z } from 'zod';
import type { Context } from './context';
import { bearerActor, type PersonActor } from '../modules/audit/audit.writer';
import { mappedError } from './error-map';
import { describeIssues, requireTenant, requireTenantPermission } from '../lib/tenant-access';

/**
 * The only initTRPC of the app (tRPC starter's trpc.ts): routers build on the procedures exported
 * here and nothing else. A zod failure is BAD_REQUEST with the fields named in `data.fieldErrors`;
 * an AppError thrown by a service becomes the tRPC error of its code, its reason in `data.reason`.
 */
const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      // An unexpected error's message may name internals; the log has it, the answer does not.
      message: error.code === 'INTERNAL_SERVER_ERROR' ? 'Internal server error' : cause instanceof ZodError ? describeIssues(cause) : shape.message,
      data: {
        ...shape.data,
        // Stack traces stay in the server's log, never in answers.
        stack: undefined,
        fieldErrors: cause instanceof ZodError ? z.flattenError(cause).fieldErrors : undefined,
        // What the app switches on (shared/errors.ts), never the message's words.
        reason: cause instanceof AppError ? cause.reason : undefined,
      },
    };
  },
});

const appErrors = t.middleware(async ({ next }) => {
  const result = await next();
  const mapped = result.ok ? undefined : mappedError(result.error.cause);
  if (mapped) throw mapped;
  return result;
});

/**
 * Counts and times every call by its procedure path (never its input). Outermost, so that the code
 * counted is the one the client gets, after the error map.
 */
const timing = t.middleware(async ({ ctx, path, type, next }) => {
  if (!ctx.metrics) return next();
  const started = performance.now();
  const result = await next();
  ctx.metrics.trpcCall(path, type, result.ok ? 'OK' : result.error.code, (performance.now() - started) / 1000);
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(timing).use(appErrors);

/**
 * Signed in with the browser session: UNAUTHORIZED otherwise; `ctx.session` is no longer nullable
 * after it. An API key is refused here (FORBIDDEN): a key cannot act on its owner's sessions,
 * profile or preferences, nor make more keys.
 */
export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.session) {
    if (ctx.bearer) {
      throw new TRPCError({ code: 'FORBIDDEN', message: 'This needs a signed-in browser session; an API key calls only the registry of its tenant and apiKeys.list' });
    }
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first: there is no valid session' });
  }
  return next({ ctx: { session: ctx.session } });
});

/** After tenantProcedure: the browser session only (FORBIDDEN for an API key, as authedProcedure says). */
export const browserSessionOnly = t.middleware(({ ctx, next }) => {
  if (!ctx.session) throw new TRPCError({ code: 'FORBIDDEN', message: 'This needs a signed-in browser session: an API key cannot manage API keys or members' });
  return next({ ctx: { session: ctx.session } });
});

/** Who acts: the session's person, or an API key's owner (its tenant's standing, checked on this request). */
export interface Actor {
  userId: string;
  tenant: TenantContext | null;
  /** The browser session acting, null for an API key. */
  sessionId: string | null;
  /** Who acts, as the audit log names them: the person, or their API key or OAuth client. */
  audit: PersonActor;
}

function actorOf(ctx: Context): Actor | null {
  if (ctx.bearer) return { userId: ctx.bearer.userId, tenant: ctx.bearer.tenant, sessionId: null, audit: bearerActor(ctx.bearer) };
  if (ctx.session) {
    const { userId } = ctx.session;
    return { userId, tenant: ctx.session.tenantContext, sessionId: ctx.session.sessionId, audit: { kind: 'user', userId } };
  }
  return null;
}

/** A feature's procedures answer PRECONDITION_FAILED, naming the variable, while it is switched off. */
export function requireFeature(feature: FeatureSwitch) {
  return t.middleware(({ ctx, next }) => {
    const off = ctx.features.off[feature];
    if (off) throw new AppError('FEATURE_DISABLED', off);
    return next();
  });
}

/** The active tenant's context, or FORBIDDEN: the membership is checked on every request (resolveSession, authenticateApiKey). */
const activeTenantOf = (actor: Actor | null) => requireTenant(actor?.tenant);

/**
 * An active membership of the active tenant (the session's, or an API key's own): UNAUTHORIZED
 * without either, FORBIDDEN without the membership. `ctx.actor` and `ctx.tenant` (the tenant
 * context, with the effective permissions) are not nullable after it.
 */
export const tenantProcedure = publicProcedure.use(({ ctx, next }) => {
  const actor = actorOf(ctx);
  if (!actor) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first: there is no valid session' });
  return next({ ctx: { actor, tenant: activeTenantOf(actor) } });
});

/**
 * The active tenant grants `permission`: FORBIDDEN, naming it, otherwise. Checks the membership too,
 * so it can follow a feature check on `authedProcedure` as well as `tenantProcedure`.
 */
export function requirePermission(permission: Permission) {
  return t.middleware(({ ctx, next }) => next({ ctx: { tenant: requireTenantPermission(actorOf(ctx)?.tenant, permission) } }));
}
