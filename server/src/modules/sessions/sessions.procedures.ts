import { ZNoInput, ZRevokeOtherSessionsResult, ZRevokeSessionInput, ZRevokeSessionResult, ZSessionInfo, ZSessionList } from '@mreg/shared';
import { authedProcedure, requireFeature } from '../../trpc/trpc';
import { listSessions, revokeOtherSessions, revokeOwnSession, sessionDeps, sessionInfo } from './sessions.store';

/** Listing and revoking sessions: off with MREG_FASTMCP_SESSION_MANAGEMENT_ENHANCED=false. */
const sessionsProcedure = authedProcedure.use(requireFeature('sessionManagement'));

/** `auth.sessions`, `auth.revokeSession`, `auth.revokeOtherSessions`, `auth.refreshSession`. */
export const sessionProcedures = {
  sessions: sessionsProcedure
    .input(ZNoInput)
    .output(ZSessionList)
    .query(({ ctx }) => listSessions(sessionDeps(ctx), ctx.session)),

  revokeSession: sessionsProcedure
    .input(ZRevokeSessionInput)
    .output(ZRevokeSessionResult)
    .mutation(async ({ ctx, input }) => {
      const result = await revokeOwnSession(sessionDeps(ctx), ctx.session, input.sessionId);
      if (result.signedOut) ctx.sessionCookie.clear();
      return result;
    }),

  revokeOtherSessions: sessionsProcedure
    .input(ZNoInput)
    .output(ZRevokeOtherSessionsResult)
    .mutation(async ({ ctx }) => ({ revoked: await revokeOtherSessions(sessionDeps(ctx), ctx.session.userId, ctx.session.sessionId) })),

  // The context already applied the lifetime rules to this very request (renewal included): what is
  // left is to report the outcome.
  refreshSession: sessionsProcedure
    .input(ZNoInput)
    .output(ZSessionInfo)
    .mutation(({ ctx }) => sessionInfo(ctx.session, ctx.settings.sessionLifetime)),
};
