import { timingSafeEqual } from 'node:crypto';
import { CryptoProvider } from '@azure/msal-node';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Router, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Logger } from 'pino';
import { ZReturnTo, type LogoutResult } from '@mreg/shared';
import type { Cache } from '../cache/cache';
import type { Settings } from '../config';
import { SignInError } from '../identity/errors';
import type { SignInClient } from '../identity/sign-in-client';
import { SignInRequest } from '../modules/sessions/sessions.entity';
import {
  createSession,
  findActiveSession,
  hashToken,
  isTokenShaped,
  newToken,
  revokeSession,
} from '../modules/sessions/sessions.service';
import { recordSignIn } from '../modules/users/users.service';
import { cookiePolicy, SIGN_IN_REQUEST_TTL_MS } from './cookies';
import { csrfRefusal } from './csrf';
import { html, page, pageCss, PAGE_CSS_PATH } from './pages';

/** Where a person lands after signing in when the sign-in link named no returnTo. */
export const DEFAULT_RETURN_TO = '/dashboard';

export interface AuthRoutesDeps {
  settings: Settings;
  /** The ORM's root EntityManager; each request forks its own. */
  em: EntityManager;
  cache: Cache;
  client: SignInClient;
  logger: Logger;
}

const pkce = new CryptoProvider();

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const queryText = (value: unknown, max = 4096) => (typeof value === 'string' && value.length <= max ? value : undefined);

/**
 * Takes the sign-in request bound to this cookie out of the database, so that whatever happens
 * next it cannot be used twice. A callback that arrives without its cookie still ends the sign-in
 * its state names: no record is left behind either way.
 */
async function consumeSignInRequest(em: EntityManager, cookie: unknown, state: string | undefined, now: Date) {
  let request = null;
  if (isTokenShaped(cookie)) {
    const found = await em.findOne(SignInRequest, { cookieHash: hashToken(cookie) });
    // Only the caller that deletes the row may use it.
    if (found && (await em.nativeDelete(SignInRequest, { id: found.id })) === 1) request = found;
  }
  if (state) await em.nativeDelete(SignInRequest, { state });
  return request && request.expiresAt > now ? request : null;
}

function errorPage(res: Response, error: SignInError) {
  res
    .status(error.status)
    .set('Cache-Control', 'no-store')
    .type('html')
    .send(
      page(
        'Sign-in failed',
        html`<h1>Sign-in failed</h1>
<p class="error">${error.userMessage}</p>
<p><a href="/auth/login">Sign in again</a> · <a href="/">Home</a></p>
<p class="muted">Reason: ${error.reason}</p>`,
      ),
    );
}

/** GET /auth/login, GET /auth/callback and POST /auth/logout (plain routes; tRPC only reads sessions). */
export function authRoutes({ settings, em: rootEm, cache, client, logger }: AuthRoutesDeps): Router {
  const router = Router();
  const cookies = cookiePolicy(settings.publicUrl);
  const log = logger.child({ component: 'auth' });

  const limiter = (name: string) =>
    rateLimit({
      windowMs: 60_000,
      limit: settings.signInRateLimit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      store: cache.rateLimitStore(`sign-in-${name}`),
      // A rate-limit store that is down must not lock everybody out.
      passOnStoreError: true,
      handler: (req, res, _next, options) => {
        req.log.warn({ route: name }, 'Sign-in rate limit reached');
        res.status(options.statusCode).type('html').send(
          page(
            'Too many sign-in attempts',
            html`<h1>Too many sign-in attempts</h1>
<p class="error">There were too many sign-in requests from your address. Wait a minute, then try again.</p>`,
          ),
        );
      },
    });

  router.get(PAGE_CSS_PATH.replace('/auth', ''), pageCss);

  router.get('/login', limiter('login'), async (req, res, next) => {
    try {
      res.set('Cache-Control', 'no-store');
      const raw = req.query.returnTo;
      const returnTo = raw === undefined ? { success: true as const, data: DEFAULT_RETURN_TO } : ZReturnTo.safeParse(raw);
      if (!returnTo.success) {
        errorPage(res, new SignInError('bad_return_to', `returnTo ${JSON.stringify(raw).slice(0, 200)}`));
        return;
      }
      const { verifier, challenge } = await pkce.generatePkceCodes();
      const state = newToken();
      const nonce = newToken();
      const url = await client.authorizationUrl({ state, nonce, codeChallenge: challenge });

      const cookie = newToken();
      const now = new Date();
      const em = rootEm.fork();
      // Abandoned sign-ins are removed by the next one.
      await em.nativeDelete(SignInRequest, { expiresAt: { $lte: now } });
      em.create(SignInRequest, {
        cookieHash: hashToken(cookie),
        state,
        nonce,
        codeVerifier: verifier,
        returnTo: returnTo.data,
        createdAt: now,
        expiresAt: new Date(now.getTime() + SIGN_IN_REQUEST_TTL_MS),
      });
      await em.flush();
      res.cookie(cookies.signIn, cookie, cookies.options(SIGN_IN_REQUEST_TTL_MS));
      res.redirect(302, url);
    } catch (error) {
      next(error);
    }
  });

  router.get('/callback', limiter('callback'), async (req, res) => {
    res.set('Cache-Control', 'no-store');
    if (req.cookies?.[cookies.signIn] !== undefined) res.clearCookie(cookies.signIn, cookies.options());
    const em = rootEm.fork();
    try {
      const now = new Date();
      const state = queryText(req.query.state, 128);
      const request = await consumeSignInRequest(em, req.cookies?.[cookies.signIn], state, now);
      if (!request) throw new SignInError('no_request', 'no live sign-in request for this browser');
      if (!state || !sameSecret(state, request.state)) throw new SignInError('state_mismatch', 'state differs from the sign-in request');

      const providerError = queryText(req.query.error, 200);
      if (providerError !== undefined) {
        const description = queryText(req.query.error_description, 500)?.slice(0, 300);
        const reason = providerError === 'access_denied' ? 'access_denied' : 'provider_error';
        throw new SignInError(reason, `${providerError}: ${description ?? ''}`, {
          userMessage: description ? `The identity provider could not sign you in: ${description}` : undefined,
        });
      }
      const code = queryText(req.query.code);
      if (!code) throw new SignInError('provider_error', 'no code in the callback');

      const { claims, accessToken } = await client.redeemCode({
        code,
        returnedState: state,
        expectedState: request.state,
        nonce: request.nonce,
        codeVerifier: request.codeVerifier,
      });
      if (settings.allowedTenants.length > 0 && !settings.allowedTenants.includes(claims.tid)) {
        throw new SignInError('tenant_not_allowed', `tenant ${claims.tid} is not in MREG_AZURE_ALLOWED_TENANTS`);
      }

      // Never adopt a session cookie from before sign-in (fixation): a new token always, and the
      // session an old cookie names, if live, ends here.
      const previous = req.cookies?.[cookies.session];
      const created = await em.transactional(async (tx) => {
        const { userId, tenantId } = await recordSignIn(tx, claims, now);
        const old = await findActiveSession(tx, previous, now);
        if (old) await revokeSession(tx, old.sessionId, now);
        return createSession(tx, {
          userId,
          tenantId,
          accessToken,
          userAgent: req.get('user-agent'),
          ipAddress: req.ip,
          expireHours: settings.fastmcp.sessionExpireHours,
          now,
        });
      });
      res.cookie(cookies.session, created.token, cookies.options(created.session.expiresAt.getTime() - now.getTime()));
      req.log.info({ userId: created.session.userId, tenantId: created.session.tenantId, sessionId: created.session.sessionId }, 'Signed in');
      res.redirect(303, request.returnTo);
    } catch (error) {
      if (error instanceof SignInError) {
        req.log.warn({ reason: error.reason, detail: error.detail }, 'Sign-in failed');
        errorPage(res, error);
        return;
      }
      req.log.error({ err: error }, 'Sign-in failed unexpectedly');
      res.status(500).type('html').send(
        page(
          'Sign-in failed',
          html`<h1>Sign-in failed</h1>
<p class="error">Something went wrong on our side, and nobody was signed in. Try again in a moment.</p>
<p><a href="/auth/login">Sign in again</a></p>`,
        ),
      );
    }
  });

  router.post('/logout', async (req: Request, res: Response, next) => {
    try {
      const refusal = csrfRefusal(req, settings.publicUrl);
      if (refusal) {
        res.status(403).json({ error: refusal });
        return;
      }
      const em = rootEm.fork();
      const session = await findActiveSession(em, req.cookies?.[cookies.session]);
      if (session) {
        await revokeSession(em, session.sessionId);
        req.log.info({ sessionId: session.sessionId, userId: session.userId }, 'Signed out');
      }
      res.clearCookie(cookies.session, cookies.options());
      res.set('Cache-Control', 'no-store');
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

  log.debug({ provider: client.kind }, 'Sign-in routes ready');
  return router;
}
