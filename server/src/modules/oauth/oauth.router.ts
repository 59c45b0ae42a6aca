import { ZOAuthConsent, ZOAuthConsentInput, ZOAuthDecideInput, ZOAuthDecision } from '@mreg/shared';
import { authedProcedure, router } from '../../trpc/trpc';
import { consentFor, decide } from './oauth.consent';

/**
 * The consent page's procedures (issue 20): what an MCP client asks for, and the person's answer.
 * The browser session only (authedProcedure): an API key cannot approve a client.
 */
export const oauthRouter = router({
  consent: authedProcedure
    .input(ZOAuthConsentInput)
    .output(ZOAuthConsent)
    .query(({ ctx, input }) => consentFor(ctx.em, ctx.settings.publicUrl, input.requestId, ctx.session.userId, ctx.session.tenantId ?? null, ctx.clock())),

  decide: authedProcedure
    .input(ZOAuthDecideInput)
    .output(ZOAuthDecision)
    .mutation(({ ctx, input }) => decide(ctx.em, ctx.settings.publicUrl, input, { userId: ctx.session.userId, activeTenantId: ctx.session.tenantContext?.tenantId ?? null }, ctx.clock())),
});
