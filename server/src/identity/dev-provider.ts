import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import express, { Router } from 'express';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';
import { isLoopbackHost } from '../lib/loopback';
import { z } from 'zod';
import { html, messagePage, page, sendMessage } from '../http/pages';
import { LANGUAGE_COOKIE, pageLanguage, pageWords, wordsFor, type PageWords } from '../i18n';
import { DEMO_USERS, demoTenantName, guestUser, type DemoUser } from './demo-directory';
import type { ProviderDescription } from './sign-in-client';

/**
 * The development OpenID provider (oidc-provider), served at /dev-idp when Entra ID is not
 * configured and MREG_ENV is not production, on loopback or by MREG_DEV_SIGN_IN=true (config/schema.ts
 * refuses anything else). It issues Entra-like id_tokens for the demo users,
 * requires PKCE, and is driven by the same msal-node code as Entra ID (STACK.md, "The development
 * provider on the app's own port").
 */

export const DEV_IDP_PATH = '/dev-idp';
export const DEV_CLIENT_ID = 'mreg-development';
const startAgain = (words: PageWords) => [{ href: '/auth/login', label: words.say('startAgain') }];

const ZKeyFile = z.object({
  signingKey: z.record(z.string(), z.unknown()),
  cookieKeys: z.array(z.string()).min(1),
  clientSecret: z.string().min(32),
});
type KeyFile = z.infer<typeof ZKeyFile>;

/**
 * The provider's signing key, cookie keys and client secret, under MREG_DATA_DIR so that tokens
 * and sessions stay valid across restarts. Created on first use, readable by the owner only.
 */
export async function loadDevKeys(dataDir: string): Promise<KeyFile> {
  const dir = join(dataDir, 'dev-idp');
  const file = join(dir, 'keys.json');
  try {
    return ZKeyFile.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`${file} is unreadable (${(error as Error).message}); delete it to make new development keys`, {
        cause: error,
      });
    }
  }
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const keys: KeyFile = {
    signingKey: { ...(await exportJWK(privateKey)), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' },
    cookieKeys: [randomBytes(32).toString('base64url')],
    clientSecret: randomBytes(32).toString('base64url'),
  };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const partial = `${file}.${process.pid}.tmp`;
  await writeFile(partial, JSON.stringify(keys, null, 2), { mode: 0o600 });
  await rename(partial, file);
  return keys;
}

function findDemoUser(predicate: (u: DemoUser) => boolean): DemoUser | undefined {
  return DEMO_USERS.find(predicate);
}

/** The claims of an Entra ID v2 id_token, for a demo user. */
function entraClaims(user: DemoUser) {
  return {
    sub: user.oid,
    oid: user.oid,
    tid: user.tid,
    email: user.email,
    preferred_username: user.email,
    name: user.name,
    roles: user.roles,
    tenant_display_name: user.tenantName ?? demoTenantName(user.tid),
  };
}

/** Headers a proxy or tunnel adds: a request bearing one did not come straight from this machine. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip', 'via'];

/**
 * Why a request did not come from this machine straight to MREG, or null when it did: it was made
 * to a name other than a loopback one (a proxy or tunnel passing on its own Host) or bears a
 * proxy's headers. A same-machine proxy that hides both is beyond what a server can tell.
 */
function notFromThisMachine(req: express.Request): string | null {
  const host = req.headers.host ?? '';
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d*$/, '');
  if (!isLoopbackHost(name)) return `This request was made to ${JSON.stringify(host)}, not to a loopback address`;
  const forwarded = FORWARDING_HEADERS.find((header) => req.headers[header] !== undefined);
  if (forwarded) return `This request came through a proxy (it bears ${forwarded})`;
  return null;
}

export interface DevProvider {
  description: ProviderDescription;
  /** Mount at DEV_IDP_PATH: the interaction pages, then the provider itself. */
  router: Router;
}

export async function createDevProvider(options: {
  publicUrl: URL;
  redirectUri: string;
  dataDir: string;
  /**
   * `loopback`: only requests made on this machine, straight to MREG, are answered. `open`
   * (MREG_DEV_SIGN_IN=true): anyone's, and the chooser page says so.
   */
  reach: 'loopback' | 'open';
  logger: Logger;
}): Promise<DevProvider> {
  const { publicUrl, redirectUri, logger } = options;
  const issuer = `${publicUrl.origin}${DEV_IDP_PATH}`;
  const keys = await loadDevKeys(options.dataDir);
  const secure = publicUrl.protocol === 'https:';

  // msal asks for prompt=select_account, which the default policy does not know (STACK.md).
  const policy = interactionPolicy.base();
  policy.add(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }), 0);

  // People the demo directory does not know who signed in here (guestUser), by oid, for the provider's
// account lookups while their sign-in runs; the same email gives the same person again.
  const guests = new Map<string, DemoUser>();
  const configuration: Configuration = {
    clients: [
      {
        client_id: DEV_CLIENT_ID,
        client_secret: keys.clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    pkce: { required: () => true, methods: ['S256'] },
    // Seconds. Explicit, so that the provider does not warn about its defaults at every sign-in.
    ttl: { AuthorizationCode: 60, AccessToken: 3600, IdToken: 3600, Interaction: 600, Session: 8 * 3600, Grant: 8 * 3600 },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    claims: {
      openid: ['sub', 'oid', 'tid', 'roles', 'tenant_display_name'],
      profile: ['name', 'preferred_username'],
      email: ['email'],
    },
    // Entra ID puts the profile claims in the id_token itself; so does this provider.
    conformIdTokenClaims: false,
    jwks: { keys: [keys.signingKey as JWK] },
    cookies: {
      keys: keys.cookieKeys,
      names: { session: 'mreg_idp_session', interaction: 'mreg_idp_interaction', resume: 'mreg_idp_resume', state: 'mreg_idp_state' },
      // Lax, not None: over plain http, chromium drops SameSite=None cookies (STACK.md).
      long: { sameSite: 'lax', httpOnly: true, secure, path: DEV_IDP_PATH, signed: true },
      short: { sameSite: 'lax', httpOnly: true, secure, signed: true },
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: false },
    },
    interactions: {
      policy,
      url: (_ctx, interaction) => `${DEV_IDP_PATH}/interaction/${interaction.uid}`,
    },
    async findAccount(_ctx, id) {
      const user = findDemoUser((u) => u.oid === id) ?? guests.get(id);
      if (!user) return undefined;
      return { accountId: user.oid, claims: () => entraClaims(user) };
    },
    // First-party development client: consent is given on the person's behalf.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const accountId = ctx.oidc.session?.accountId;
      const clientId = ctx.oidc.client?.clientId;
      if (!accountId || !clientId) return undefined;
      const existing = ctx.oidc.session?.grantIdFor(clientId);
      if (existing) {
        const grant = await ctx.oidc.provider.Grant.find(existing);
        if (grant) return grant;
      }
      const grant = new ctx.oidc.provider.Grant({ accountId, clientId });
      grant.addOIDCScope('openid profile email');
      await grant.save();
      return grant;
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      const words = pageWords(pageLanguage(ctx.cookies.get(LANGUAGE_COOKIE), (languages) => ctx.acceptsLanguages(languages)));
      ctx.body = messagePage({ words, title: words.say('dev.stopped'), text: out.error_description ?? out.error, links: startAgain(words) });
    },
  };

  const provider = new Provider(issuer, configuration);
  // The provider builds its URLs (the discovery document's endpoints among them) and decides its
  // cookies' Secure flag from the request's origin, which Koa reads from X-Forwarded-Host and
  // -Proto when `proxy` is set. Both are set below from the public URL on every request, so that
  // nothing a client sends in Host or X-Forwarded-* can move them.
  provider.proxy = true;
  const publicOrigin = (req: express.Request) => {
    req.headers['x-forwarded-host'] = publicUrl.host;
    req.headers['x-forwarded-proto'] = publicUrl.protocol.slice(0, -1);
    // Koa would take the client IP from here too: Express's, which honours MREG_TRUST_PROXY.
    req.headers['x-forwarded-for'] = req.ip ?? '';
  };
  provider.on('server_error', (_ctx, error) => logger.error({ err: error }, 'Development provider error'));

  const router = Router();
  router.use((req, res, next) => {
    if (options.reach === 'loopback') {
      const refusal = notFromThisMachine(req);
      if (refusal) {
        logger.warn({ host: req.headers.host, ip: req.ip }, `Development sign-in refused: ${refusal}`);
        const words = wordsFor(req);
        sendMessage(res, 403, { words, title: words.say('dev.loopbackOnly'), text: words.say('dev.loopbackText', { refusal }), links: [] });
        return;
      }
    }
    publicOrigin(req);
    next();
  });
  router.get('/interaction/:uid', async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      const words = wordsFor(req);
      res.set('Cache-Control', 'no-store').type('html').send(
        page(
          words.lang,
          words.say('dev.title'),
          html`<h1>${words.say('dev.heading')}</h1>
<p>${words.say('dev.intro')}</p>${
            options.reach === 'open' ? html`<p class="warning"><strong>${words.say('dev.openLead')}</strong> ${words.say('dev.openText')}</p>` : ''
          }
<ul class="choices">${DEMO_USERS.map(
            (u) => html`<li><form method="post" action="${DEV_IDP_PATH}/interaction/${details.uid}/login">
<input type="hidden" name="email" value="${u.email}">
<button type="submit"><strong>${u.name}</strong> · ${u.email}<br><span class="muted">${u.memberships
              .map((m) => words.say('dev.membership', { role: words.say(`role.${m.role}`), tenant: demoTenantName(m.tenantId) ?? m.tenantId }))
              .join(', ')}</span></button></form></li>`,
          )}</ul>
<form method="post" action="${DEV_IDP_PATH}/interaction/${details.uid}/login" class="guest">
<label for="guest-email">${words.say('dev.guest')}</label>
<input id="guest-email" name="email" type="email" required maxlength="254" placeholder="kim@northwind.test" autocomplete="off">
<button type="submit">${words.say('dev.signInAs')}</button></form>
<form method="post" action="${DEV_IDP_PATH}/interaction/${details.uid}/abort">
<button type="submit" class="secondary">${words.say('dev.cancel')}</button></form>`,
        ),
      );
    } catch (error) {
      next(error);
    }
  });

  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 });
  router.post('/interaction/:uid/login', form, async (req, res, next) => {
    try {
      const email = typeof req.body?.email === 'string' ? req.body.email.trim().toLowerCase() : '';
      const user = findDemoUser((u) => u.email === email) ?? guestUser(email);
      if (user && !DEMO_USERS.includes(user)) {
        if (guests.size >= 10_000) guests.delete(guests.keys().next().value!);
        guests.set(user.oid, user);
      }
      if (!user) {
        const words = wordsFor(req);
        const what = email ? words.say('dev.notTaken', { email: email.slice(0, 254) }) : words.say('dev.noEmail');
        sendMessage(res, 400, {
          words,
          title: words.say('dev.notEmail'),
          text: `${what} ${words.say('dev.chooseOrGive', { users: DEMO_USERS.map((u) => u.email).join(', ') })}`,
          links: [{ href: `${DEV_IDP_PATH}/interaction/${req.params.uid}`, label: words.say('chooseAgain') }],
        });
        return;
      }
      await provider.interactionFinished(
        req,
        res,
        { select_account: {}, login: { accountId: user.oid, amr: ['pwd'] } },
        { mergeWithLastSubmission: false },
      );
    } catch (error) {
      next(error);
    }
  });
  router.post('/interaction/:uid/abort', async (req, res, next) => {
    try {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'The sign-in was cancelled.' },
        { mergeWithLastSubmission: false },
      );
    } catch (error) {
      next(error);
    }
  });
  // Unknown or expired interactions get the provider's own readable error page.
  router.use('/interaction', (error: unknown, req: express.Request, res: express.Response, next: express.NextFunction) => {
    const name = (error as { name?: string })?.name;
    if (name !== 'SessionNotFound' && name !== 'InvalidRequest') return next(error);
    const words = wordsFor(req);
    sendMessage(res, 400, { words, title: words.say('dev.expired'), text: words.say('dev.expiredText'), links: startAgain(words) });
  });
  router.use(provider.callback());

  return {
    router,
    description: {
      kind: 'development',
      // An https string msal accepts and never fetches: the metadata below is what it uses.
      authority: `https://${publicUrl.host}${DEV_IDP_PATH}`,
      metadata: {
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
      },
      clientId: DEV_CLIENT_ID,
      clientSecret: keys.clientSecret,
      expectedIssuer: () => issuer,
      endSessionUrl: null,
    },
  };
}
