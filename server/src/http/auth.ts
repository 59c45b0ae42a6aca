import { timingSafeEqual } from 'node:crypto';
import { CryptoProvider } from '@azure/msal-node';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Router, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import { ZReturnTo, type LogoutResult } from '@mreg/shared';
import type { Cache } from '../cache/cache';
import { rateLimitStore } from '../cache/rate-limit';
import type { Settings } from '../config';
import { SignInError, type SignInFailure } from '../identity/errors';
import type { IdentityClaims, SignInClient } from '../identity/sign-in-client';
import type { Clock } from '../lib/clock';
import type { Metrics } from '../metrics/metrics';
import { cookieLifetimeMs } from '../modules/sessions/sessions.lifetime';
import { newToken } from '../lib/tokens';
import { revokeSessionByToken, sessionDeps } from '../modules/sessions/sessions.store';
import {
  completeSignIn,
  consumeSignInRequest,
  createSignInRequest,
  recordSignInFailure,
  SIGN_IN_REQUEST_TTL_MS,
} from '../modules/sessions/sign-in.service';
import { cookiePolicy } from './cookies';
import { csrfRefusal } from './csrf';
import { pageCss, PAGE_CSS_PATH, sendMessage } from './pages';
import { isLanguageTag, LANGUAGE_COOKIE, wordsFor, type PageWords } from '../i18n';
import { preferencesStoreFor } from '../modules/preferences/preferences.store';
import { THEME_COOKIE } from './spa';

/** Where a person lands after signing in when the sign-in link named no returnTo. */
export const DEFAULT_RETURN_TO = '/dashboard';

export interface AuthRoutesDeps {
  settings: Settings;
  /** The ORM's root EntityManager; each request forks its own. */
  em: EntityManager;
  cache: Cache;
  clock: Clock;
  client: SignInClient;
  metrics?: Metrics;
}

const ZLoginQuery = z.object({ returnTo: ZReturnTo.default(DEFAULT_RETURN_TO) });

/** What a provider sends back; anything else in the query is ignored, anything oversized dropped. */
const ZCallbackQuery = z.object({
  state: z.string().max(128).optional().catch(undefined),
  code: z.string().max(4096).optional().catch(undefined),
  error: z.string().max(200).optional().catch(undefined),
  error_description: z.string().max(500).optional().catch(undefined),
});

const pkce = new CryptoProvider();

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const signInAgain = (words: PageWords, returnTo = '') => [
  { href: returnTo ? `/auth/login?returnTo=${encodeURIComponent(returnTo)}` : '/auth/login', label: words.say('signInAgain') },
  { href: '/', label: words.say('home') },
];

/** The page for a refused sign-in: what went wrong in words, and the reason code for support. */
function sendSignInError(req: Request, res: Response, error: SignInError, title: 'signIn.failed' | 'signIn.couldNotStart' = 'signIn.failed'): void {
  const words = wordsFor(req);
  const text = error.providerSaid ? words.say('signIn.providerCouldNot', { description: error.providerSaid }) : words.say(`failure.${error.reason}`);
  sendMessage(res, error.status, { words, title: words.say(title), text, links: signInAgain(words), reason: error.reason });
}

/** GET /auth/login, GET /auth/callback and POST /auth/logout (plain routes; tRPC only reads sessions). */
export function authRoutes({ settings, em: rootEm, cache, clock, client, metrics }: AuthRoutesDeps): Router {
  const router = Router();
  const cookies = cookiePolicy(settings.publicUrl);

  const limiter = (name: string) =>
    rateLimit({
      windowMs: 60_000,
      limit: settings.signInRateLimit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      store: rateLimitStore(cache, `sign-in-${name}`),
      handler: (req, res, _next, options) => {
        req.log.warn({ route: name }, 'Sign-in rate limit reached');
        const words = wordsFor(req);
        sendMessage(res, options.statusCode, { words, title: words.say('signIn.tooMany'), text: words.say('signIn.tooManyText') });
      },
    });

  /**
   * The person's theme and language, as the app keeps them in its cookies (web/src/prefs), set with
   * the session: the page sign-in lands on is already dark and in their language on a browser the
   * app never ran in. Unreadable preferences leave the cookies as they are: they only save a flash.
   */
  const setAppearanceCookies = async (req: Request, res: Response, userId: string) => {
    const ui = await preferencesStoreFor({ em: rootEm.fork(), cache, settings })
      .readCategory(userId, 'ui')
      .catch((error: unknown) => {
        req.log.warn({ err: error }, 'The preferences for the appearance cookies could not be read');
        return null;
      });
    const options = { path: '/', maxAge: 365 * 86_400_000, sameSite: 'lax' as const, secure: settings.publicUrl.protocol === 'https:', httpOnly: false };
    if (ui?.theme === 'light' || ui?.theme === 'dark' || ui?.theme === 'system') res.cookie(THEME_COOKIE, ui.theme, options);
    if (isLanguageTag(ui?.language)) res.cookie(LANGUAGE_COOKIE, ui.language, options);
  };

  router.get(PAGE_CSS_PATH.replace('/auth', ''), pageCss);

  router.get('/login', limiter('login'), async (req, res, next) => {
    try {
      const query = ZLoginQuery.safeParse(req.query);
      if (!query.success) {
        sendSignInError(req, res, new SignInError('bad_return_to', `returnTo ${JSON.stringify(req.query.returnTo).slice(0, 200)}`), 'signIn.couldNotStart');
        return;
      }
      const { verifier, challenge } = await pkce.generatePkceCodes();
      const state = newToken();
      const nonce = newToken();
      // The URL first: if msal cannot build it, nothing is stored.
      const url = await client.authorizationUrl({ state, nonce, codeChallenge: challenge });
      const cookie = await createSignInRequest(rootEm.fork(), {
        state,
        nonce,
        codeVerifier: verifier,
        returnTo: query.data.returnTo,
        now: clock(),
      });
      res.set('Cache-Control', 'no-store');
      res.cookie(cookies.signIn, cookie, cookies.options(SIGN_IN_REQUEST_TTL_MS));
      res.redirect(302, url);
    } catch (error) {
      next(error);
    }
  });

  router.get('/callback', limiter('callback'), async (req, res) => {
    if (req.cookies?.[cookies.signIn] !== undefined) res.clearCookie(cookies.signIn, cookies.options());
    const deps = sessionDeps({ em: rootEm.fork(), cache, clock, settings, metrics });
    // Whether this callback ended a sign-in someone started here: only then is its failure an event.
    let attempted = false;
    // Who the verified id_token named, once it did: a failure after that is recorded as theirs.
    let claimed: IdentityClaims | undefined;
    // Once the sign-in has committed it is recorded as a success, and nothing after it is its failure.
    let signedIn = false;
    /**
     * The refused sign-in's audit event; its own failure is logged, and the person still gets their
     * page. A visit to /auth/callback that ended no sign-in (no cookie, a state nobody sent, a replay)
     * is only logged and counted: there is no attempt to record, and no tenant to record it in.
     */
    const recordFailure = async (reason: SignInFailure | 'internal_error') => {
      if (!attempted || signedIn) return;
      try {
        await recordSignInFailure(rootEm.fork(), { reason, claimed });
      } catch (error) {
        req.log.error({ err: error, reason }, 'Could not record the failed sign-in in the audit log');
      }
    };
    try {
      const now = clock();
      const query = ZCallbackQuery.parse(req.query);
      const { request, ended } = await consumeSignInRequest(deps.em, req.cookies?.[cookies.signIn], query.state, now);
      attempted = ended;
      if (!request) throw new SignInError('no_request', 'no live sign-in request for this browser');
      if (!query.state || !sameSecret(query.state, request.state)) {
        throw new SignInError('state_mismatch', 'state differs from the sign-in request');
      }
      if (query.error === 'access_denied') {
        // The person said no at the provider (or it said no for them): nothing failed on MREG's side.
        const description = query.error_description?.slice(0, 300);
        req.log.info({ detail: description }, 'Sign-in cancelled at the identity provider');
        metrics?.signInFailed('access_denied');
        // A failure, not 'cancelled': access_denied is also the provider refusing on its own (a policy, an unassigned person).
        await recordFailure('access_denied');
        const words = wordsFor(req);
        sendMessage(res, 200, {
          words,
          title: words.say('signIn.cancelled'),
          tone: 'info',
          text: words.say('signIn.cancelledText', { said: description ? words.say('signIn.providerSaid', { description }) : '' }),
          links: signInAgain(words, request.returnTo),
        });
        return;
      }
      if (query.error !== undefined) {
        const description = query.error_description?.slice(0, 300);
        throw new SignInError('provider_error', `${query.error}: ${description ?? ''}`, { providerSaid: description });
      }
      if (!query.code) throw new SignInError('provider_error', 'no code in the callback');

      const { claims, accessToken } = await client.redeemCode({
        code: query.code,
        returnedState: query.state,
        expectedState: request.state,
        nonce: request.nonce,
        codeVerifier: request.codeVerifier,
      });
      claimed = claims;
      if (settings.allowedTenants.length > 0 && !settings.allowedTenants.includes(claims.tid.toLowerCase())) {
        throw new SignInError('tenant_not_allowed', `tenant ${claims.tid} is not in MREG_AZURE_ALLOWED_TENANTS`);
      }
      const session = await completeSignIn(deps, {
        claims,
        accessToken,
        previousToken: req.cookies?.[cookies.session],
        userAgent: req.get('user-agent'),
        ipAddress: req.ip,
        logger: req.log,
      });
      signedIn = true;
      res.set('Cache-Control', 'no-store');
      res.cookie(cookies.session, session.token, cookies.options(cookieLifetimeMs(session, deps.lifetime, now)));
      await setAppearanceCookies(req, res, session.userId);
      req.log.info({ userId: session.userId, tenantId: session.tenantId, sessionId: session.sessionId }, 'Signed in');
      metrics?.signIn();
      res.redirect(303, request.returnTo);
    } catch (error) {
      if (error instanceof SignInError) {
        req.log.warn({ reason: error.reason, detail: error.detail }, 'Sign-in failed');
        metrics?.signInFailed(error.reason);
        await recordFailure(error.reason);
        sendSignInError(req, res, error);
        return;
      }
      req.log.error({ err: error }, 'Sign-in failed unexpectedly');
      metrics?.signInFailed('internal_error');
      await recordFailure('internal_error');
      const words = wordsFor(req);
      sendMessage(res, 500, { words, title: words.say('signIn.failed'), text: words.say('signIn.internal'), links: signInAgain(words) });
    }
  });

  router.post('/logout', async (req, res, next) => {
    try {
      const refusal = csrfRefusal(req, settings.publicUrl);
      if (refusal) {
        res.status(403).json({ error: refusal });
        return;
      }
      const sessionId = await revokeSessionByToken(sessionDeps({ em: rootEm.fork(), cache, clock, settings, metrics }), req.cookies?.[cookies.session]);
      if (sessionId) req.log.info({ sessionId }, 'Signed out');
      res.clearCookie(cookies.session, cookies.options());
      res.set('Cache-Control', 'no-store');
      // The SPA asks for JSON; scripts (curl with the CSRF headers) may follow a redirect instead.
      if (req.accepts(['html', 'json']) === 'json') {
        const result: LogoutResult = { signedOut: true, endSessionUrl: client.endSessionUrl };
        res.json(result);
      } else {
        res.redirect(303, client.endSessionUrl ?? '/');
      }
    } catch (error) {
      next(error);
    }
  });

  return router;
}
