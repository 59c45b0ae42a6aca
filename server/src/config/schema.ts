import { resolve } from 'node:path';
import { z } from 'zod';
import { PREFERENCES_STORAGE_MODES } from '@mreg/shared';
import { isLoopbackHost } from '../lib/loopback';
import { featureSet } from './features';

/**
 * The MREG_ environment, declared here once: each variable's rule in ZEnv and its place in the
 * settings in toSettings, whose return type is `Settings`. Every variable is listed in .env.example
 * in the same order; an empty value counts as unset.
 */

const ENVIRONMENTS = ['development', 'test', 'production'] as const;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const quoted = (input: unknown) => JSON.stringify(String(input));

function oneOf<const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) {
  return z
    .enum(values, { error: (issue) => `${quoted(issue.input)} is not one of ${values.join(', ')}` })
    .default(fallback);
}

function bool(fallback: boolean) {
  return z
    .enum(['true', 'false', '1', '0'], {
      error: (issue) => `${quoted(issue.input)} is not a boolean; use true, false, 1 or 0`,
    })
    .transform((value) => value === 'true' || value === '1')
    .default(fallback);
}

function int(fallback: number, min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, { error: (issue) => `${quoted(issue.input)} is not a whole number` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: (issue) => `${issue.input} is too small; the minimum is ${min}` })
        .max(max, { error: (issue) => `${issue.input} is too large; the maximum is ${max}` }),
    )
    .default(fallback);
}

function url(protocols: readonly string[]) {
  return z
    .string()
    .refine(
      (value) => URL.canParse(value) && protocols.includes(new URL(value).protocol),
      { error: (issue) => `${quoted(issue.input)} is not a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
    )
    .optional();
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Entra ID authorities that sign in people from any organisation. */
export const MULTI_TENANT_AUTHORITIES = ['organizations', 'common'];

const tenantId = z
  .string()
  .refine((value) => GUID.test(value) || MULTI_TENANT_AUTHORITIES.includes(value.toLowerCase()), {
    error: (issue) => `${quoted(issue.input)} is not a tenant id (a GUID), organizations or common`,
  })
  .optional();

const tenantIds = z
  .string()
  .max(10_000, { error: 'is longer than 10000 characters' })
  .transform((value) => value.split(',').map((t) => t.trim()).filter(Boolean))
  .refine((ids) => ids.every((id) => GUID.test(id)), {
    error: (issue) => `${quoted(issue.input)} must be tenant ids (GUIDs) separated by commas`,
  })
  .default([]);

/** A port, or `off`. */
const metricsPort = z
  .string()
  .refine((value) => value === 'off' || (/^\d+$/.test(value) && Number(value) <= 65535), {
    error: (issue) => `${quoted(issue.input)} is not a port (0 to 65535, 0 for any free port) or off`,
  })
  .transform((value) => (value === 'off' ? null : Number(value)))
  .default(9464);

/**
 * A bearer token for /metrics on the public port and the loopback listener alike. Never echoed in messages (it is a secret); visible
 * ASCII only, since it travels in a header.
 */
const metricsToken = z
  .string()
  .min(32, { error: (issue) => `is ${String(issue.input).length} characters long; use at least 32 (openssl rand -base64 32 makes one)` })
  .max(512, { error: 'is longer than 512 characters' })
  .regex(/^[\x21-\x7e]+$/, { error: 'may hold only visible ASCII characters (no spaces)' })
  .optional();

/** A 32-byte key, base64 (`openssl rand -base64 32`). A secret: never echoed in messages. */
const secretKey = z
  .string()
  .refine((value) => /^[A-Za-z0-9+/]{43}=$/.test(value.trim()) && Buffer.from(value.trim(), 'base64').length === 32, {
    error: 'must be 32 bytes in base64 (44 characters; openssl rand -base64 32 makes one)',
  })
  .transform((value) => Buffer.from(value.trim(), 'base64'))
  .optional();

/** true, false, 1 or 0; unset gives undefined, for defaults that depend on other variables. */
const optionalBool = z
  .enum(['true', 'false', '1', '0'], { error: (issue) => `${quoted(issue.input)} is not a boolean; use true, false, 1 or 0` })
  .transform((value) => value === 'true' || value === '1')
  .optional();

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const hostNames = z
  .string()
  .max(10_000, { error: 'is longer than 10000 characters' })
  .transform((value) => value.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean))
  .refine((hosts) => hosts.every((host) => HOST_NAME.test(host)), {
    error: (issue) =>
      `${(issue.input as string[]).filter((host) => !HOST_NAME.test(host)).map(quoted).join(', ')}: not a host name; list host names (mcp.internal.example) separated by commas`,
  })
  .default([]);

/** One sentinel: a host name or IPv4 address and a port, or an IPv6 address in brackets and a port. */
const SENTINEL = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*)):(\d{1,5})$/i;
const sentinelOf = (entry: string) => {
  const match = SENTINEL.exec(entry);
  const port = Number(match?.[6]);
  return match && port >= 1 && port <= 65535 ? { host: (match[1] ?? match[2])!, port } : undefined;
};
const sentinels = z
  .string()
  .max(10_000, { error: 'is longer than 10000 characters' })
  .transform((value) => value.split(',').map((s) => s.trim()).filter(Boolean))
  .refine((entries) => entries.length > 0, { error: 'lists no sentinel; list them as host:port separated by commas' })
  .refine((entries) => entries.every((entry) => sentinelOf(entry)), {
    error: (issue) =>
      `${(issue.input as string[]).filter((entry) => !sentinelOf(entry)).map(quoted).join(', ')}: not host:port; list the sentinels as host:port (an IPv6 address in brackets: [::1]:26379) separated by commas`,
  })
  .transform((entries) => entries.map((entry) => sentinelOf(entry)!))
  .default([]);

const text = (max: number) =>
  z.string().max(max, { error: `is longer than ${max} characters` }).optional();

export const ZEnv = z.object({
  MREG_ENV: oneOf(ENVIRONMENTS, 'development'),
  MREG_HOST: z.string().default('127.0.0.1'),
  MREG_PORT: int(8000, 0, 65535),
  MREG_PUBLIC_URL: url(['http:', 'https:']),
  MREG_DATA_DIR: z.string().default('.data'),
  MREG_LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
  MREG_TRUST_PROXY: int(0, 0, 10),
  MREG_MAX_CONNECTIONS: int(1000, 1, 100_000),
  MREG_SHUTDOWN_DRAIN_SECONDS: int(0, 0, 300),
  MREG_TRPC_RATE_LIMIT: int(600, 1, 10_000_000),
  MREG_DATABASE_URL: url(['postgres:', 'postgresql:']),
  MREG_DATABASE_STATEMENT_TIMEOUT: int(5, 1, 3600),
  MREG_REDIS_URL: url(['redis:', 'rediss:']),
  MREG_REDIS_SENTINELS: sentinels,
  MREG_REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, { error: (issue) => `${quoted(issue.input)} must be 1 to 64 letters, digits, ., _ or -` })
    .optional(),
  MREG_REDIS_SENTINEL_PASSWORD: text(500),
  MREG_REDIS_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: (issue) => `${quoted(issue.input)} must be 1 to 64 letters, digits, _ or -` })
    .default('mreg'),
  MREG_METRICS_PORT: metricsPort,
  MREG_METRICS_TOKEN: metricsToken,
  MREG_SECRET_KEY: secretKey,

  MREG_AZURE_TENANT_ID: tenantId,
  MREG_AZURE_CLIENT_ID: text(100),
  MREG_AZURE_CLIENT_SECRET: text(500),
  MREG_AZURE_ALLOWED_TENANTS: tenantIds,
  MREG_SIGN_IN_RATE_LIMIT: int(30, 1, 100_000),
  MREG_DEV_SIGN_IN: bool(false),

  MREG_REGISTRY_ALLOW_PRIVATE: optionalBool,
  MREG_REGISTRY_ALLOWED_HOSTS: hostNames,
  MREG_REGISTRY_HEALTH_INTERVAL: int(60, 5, 24 * 3600),
  MREG_REGISTRY_UNHEALTHY_AFTER: int(3, 1, 100),
  MREG_REGISTRY_CATALOGUE_TTL: int(3600, 60, 7 * 24 * 3600),
  MREG_GATEWAY_CALL_TIMEOUT: int(60, 1, 3600),
  MREG_GATEWAY_RATE_LIMIT: int(600, 1, 10_000_000),
  MREG_GATEWAY_TENANT_RATE_LIMIT: int(6000, 1, 10_000_000),
  MREG_OAUTH_RATE_LIMIT: int(60, 1, 10_000_000),
  MREG_OAUTH_REGISTRATION_RATE_LIMIT: int(20, 1, 10_000_000),
  MREG_AUDIT_RETENTION_DAYS: int(365, 1, 100 * 365),
  MREG_AUDIT_TOOL_CALLS: bool(true),

  MREG_FASTMCP_ENHANCED_AUTH_ENABLED: bool(true),
  MREG_FASTMCP_USER_PROFILES_ENABLED: bool(true),
  MREG_FASTMCP_SESSION_MANAGEMENT_ENHANCED: bool(true),
  MREG_FASTMCP_SESSION_EXPIRE_HOURS: int(24, 1, 24 * 365),
  MREG_FASTMCP_SESSION_REFRESH_THRESHOLD: int(2, 0, 24 * 365),
  MREG_FASTMCP_SESSION_ABSOLUTE_HOURS: int(168, 1, 24 * 365),
  MREG_FASTMCP_SESSION_IDLE_TIMEOUT_MINUTES: int(720, 5, 60 * 24 * 365),
  MREG_FASTMCP_SESSION_CLEANUP_INTERVAL: int(3600, 1, 7 * 24 * 3600),
  MREG_FASTMCP_PROFILE_CACHE_TTL: int(3600, 0, 7 * 24 * 3600),
  MREG_FASTMCP_PREFERENCES_CACHE_TTL: int(3600, 0, 7 * 24 * 3600),
  MREG_FASTMCP_PREFERENCES_STORAGE: oneOf(PREFERENCES_STORAGE_MODES, 'database'),
  MREG_FASTMCP_AVATAR_STORAGE_ENABLED: bool(true),
  MREG_FASTMCP_TENANT_SWITCHING_ENABLED: bool(true),
  MREG_FASTMCP_TENANT_CONTEXT_CACHING: bool(true),
  MREG_FASTMCP_ROLE_BASED_UI_ENABLED: bool(true),
});

/** Variables read by the test and benchmark harnesses, never by the server. */
const HARNESS_PREFIXES = ['MREG_TEST_', 'MREG_BENCH_'];
/** Every variable the server reads, in the order of the schema and of .env.example. */
export const SETTINGS_VARIABLES = Object.keys(ZEnv.shape);
const KNOWN = new Set(SETTINGS_VARIABLES);

export type Env = z.infer<typeof ZEnv>;

/**
 * Problems between variables, given those that parsed on their own (`input` is what was set): they
 * are reported together with the problems of single variables.
 */
export function problemsBetween(e: Partial<Env>, input: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const azureKeys = ['MREG_AZURE_TENANT_ID', 'MREG_AZURE_CLIENT_ID', 'MREG_AZURE_CLIENT_SECRET'] as const;
  const missingAzure = azureKeys.filter((key) => !(key in input));
  // A bad MREG_PUBLIC_URL is reported on its own; the rules below would only guess at it.
  const publicUrlParsed = !('MREG_PUBLIC_URL' in input) || e.MREG_PUBLIC_URL !== undefined;
  if (missingAzure.length > 0 && missingAzure.length < 3) {
    problems.push(`${missingAzure.join(', ')}: missing; Entra ID needs MREG_AZURE_TENANT_ID, MREG_AZURE_CLIENT_ID and MREG_AZURE_CLIENT_SECRET together`);
  } else if (missingAzure.length === 3 && e.MREG_ENV === 'production') {
    problems.push(`${missingAzure.join(', ')}: missing; production needs Entra ID (the development sign-in provider is not served in production)`);
  } else if (missingAzure.length === 3 && e.MREG_DEV_SIGN_IN === false && e.MREG_HOST !== undefined && e.MREG_PORT !== undefined && publicUrlParsed) {
    problems.push(...devSignInProblems(e.MREG_HOST, publicUrlOf(e as Env), e.MREG_TRUST_PROXY ?? 0));
  }
  if (e.MREG_ENV === 'production' && !('MREG_SECRET_KEY' in input)) {
    problems.push('MREG_SECRET_KEY: missing; production needs the key that encrypts upstream secrets, the same on every instance (openssl rand -base64 32 makes one)');
  }
  if (e.MREG_ENV === 'production' && e.MREG_DEV_SIGN_IN) {
    problems.push('MREG_DEV_SIGN_IN: true is refused in production; production signs people in with Entra ID only');
  }
  if (e.MREG_ENV === 'production' && e.MREG_HOST !== undefined && e.MREG_PORT !== undefined && publicUrlParsed) {
    problems.push(...productionUrlProblems(e.MREG_HOST, e.MREG_PUBLIC_URL));
  }

  const authority = e.MREG_AZURE_TENANT_ID?.toLowerCase();
  if (authority && MULTI_TENANT_AUTHORITIES.includes(authority) && e.MREG_AZURE_ALLOWED_TENANTS?.length === 0) {
    problems.push(
      `MREG_AZURE_ALLOWED_TENANTS: missing; with MREG_AZURE_TENANT_ID=${authority} any organisation could sign in, so list the tenant ids allowed`,
    );
  }

  const threshold = e.MREG_FASTMCP_SESSION_REFRESH_THRESHOLD;
  const expire = e.MREG_FASTMCP_SESSION_EXPIRE_HOURS;
  if (threshold !== undefined && expire !== undefined && threshold >= expire) {
    problems.push(
      `MREG_FASTMCP_SESSION_REFRESH_THRESHOLD: ${threshold} must be less than MREG_FASTMCP_SESSION_EXPIRE_HOURS (${expire})`,
    );
  }
  const absolute = e.MREG_FASTMCP_SESSION_ABSOLUTE_HOURS;
  if (absolute !== undefined && expire !== undefined && absolute < expire) {
    problems.push(
      `MREG_FASTMCP_SESSION_ABSOLUTE_HOURS: ${absolute} must be at least MREG_FASTMCP_SESSION_EXPIRE_HOURS (${expire})`,
    );
  }
  // Sentinels and the master group's name go together; the password only with them.
  const sentinelsSet = 'MREG_REDIS_SENTINELS' in input;
  if (sentinelsSet && !('MREG_REDIS_SENTINEL_NAME' in input)) {
    problems.push('MREG_REDIS_SENTINEL_NAME: missing; MREG_REDIS_SENTINELS needs the name of the master group the sentinels watch (their `sentinel monitor <name> ...`), e.g. mymaster');
  }
  const sentinelOnly = (['MREG_REDIS_SENTINEL_NAME', 'MREG_REDIS_SENTINEL_PASSWORD'] as const).filter((key) => key in input);
  if (!sentinelsSet && sentinelOnly.length > 0) {
    problems.push(`MREG_REDIS_SENTINELS: missing; ${sentinelOnly.join(' and ')} ${sentinelOnly.length > 1 ? 'are' : 'is'} used only with the sentinels, listed as host:port separated by commas`);
  }
  const storage = e.MREG_FASTMCP_PREFERENCES_STORAGE;
  if (storage !== undefined && storage !== 'database' && !('MREG_REDIS_URL' in input) && !sentinelsSet) {
    problems.push(
      `MREG_FASTMCP_PREFERENCES_STORAGE: "${storage}" needs Redis; set MREG_REDIS_URL or MREG_REDIS_SENTINELS, or use database`,
    );
  }
  const metricsPort = e.MREG_METRICS_PORT;
  if (metricsPort && metricsPort === e.MREG_PORT) {
    problems.push(`MREG_METRICS_PORT: ${metricsPort} is MREG_PORT too; pick another port, 0 for any free port, or off`);
  }
  return problems;
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

/** MREG_PUBLIC_URL, or the listening address when it is unset (a wildcard host reads as 127.0.0.1). */
function publicUrlOf(e: Pick<Env, 'MREG_PUBLIC_URL' | 'MREG_HOST' | 'MREG_PORT'>): URL {
  const host = WILDCARD_HOSTS.has(e.MREG_HOST) ? '127.0.0.1' : e.MREG_HOST;
  return new URL(e.MREG_PUBLIC_URL ?? `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${e.MREG_PORT}`);
}

const ENTRA_VARIABLES = 'MREG_AZURE_TENANT_ID, MREG_AZURE_CLIENT_ID and MREG_AZURE_CLIENT_SECRET';

/**
 * The development provider signs anyone in as any demo user, admins included, by email alone: it is
 * served only where no one else can reach it (public URL and listening address on loopback) unless
 * MREG_DEV_SIGN_IN=true says otherwise on purpose.
 */
function devSignInProblems(host: string, publicUrl: URL, trustProxy: number): string[] {
  const remedy = `configure Entra ID (${ENTRA_VARIABLES}), or set MREG_DEV_SIGN_IN=true to serve the development sign-in anyway (anyone who reaches MREG can then sign in as any demo user, admins included)`;
  if (!isLoopbackHost(publicUrl.hostname)) {
    return [`MREG_PUBLIC_URL: ${publicUrl.origin} is not a loopback address, and without Entra ID MREG would serve its development sign-in there; ${remedy}`];
  }
  if (!isLoopbackHost(host)) {
    return [`MREG_HOST: ${host} listens beyond loopback, and without Entra ID MREG would serve its development sign-in there; ${remedy}`];
  }
  if (trustProxy > 0) {
    return [`MREG_TRUST_PROXY: ${trustProxy} says a proxy stands in front of MREG, and without Entra ID MREG would serve its development sign-in to whoever reaches that proxy; ${remedy}`];
  }
  return [];
}

/**
 * Production's address must be https (Secure cookies, HSTS) unless it is loopback, and must be said
 * when MREG listens beyond loopback: a guessed http://127.0.0.1 would be wrong for everyone else.
 */
function productionUrlProblems(host: string, publicUrl: string | undefined): string[] {
  if (publicUrl === undefined) {
    return isLoopbackHost(host)
      ? []
      : [`MREG_PUBLIC_URL: missing; production listening on ${host} needs the https address people use (e.g. https://mreg.example.com)`];
  }
  const url = new URL(publicUrl);
  if (url.protocol === 'https:') return [];
  if (!isLoopbackHost(url.hostname)) {
    return [`MREG_PUBLIC_URL: ${url.origin} is plain http; production needs https (cookies get the Secure flag and HSTS is sent only then), unless the address is loopback`];
  }
  return isLoopbackHost(host)
    ? []
    : [`MREG_PUBLIC_URL: ${url.origin} is plain http on loopback, but MREG_HOST ${host} listens beyond it; production beyond loopback needs an https address`];
}

/**
 * The settings as the app reads them, from the variables once they have all parsed: the type
 * `Settings` is what this returns, so a new variable is its rule in ZEnv and its place here.
 */
export function toSettings(e: Env, input: Record<string, string | undefined>, cwd: string) {
  const publicUrl = publicUrlOf(e);
  const unknown = Object.keys(input).filter(
    (key) => !KNOWN.has(key) && !HARNESS_PREFIXES.some((prefix) => key.startsWith(prefix)),
  );
  const entra =
    e.MREG_AZURE_TENANT_ID && e.MREG_AZURE_CLIENT_ID && e.MREG_AZURE_CLIENT_SECRET
      ? { tenantId: e.MREG_AZURE_TENANT_ID, clientId: e.MREG_AZURE_CLIENT_ID, clientSecret: e.MREG_AZURE_CLIENT_SECRET }
      : undefined;
  const devSignIn = entra ? null : e.MREG_DEV_SIGN_IN ? ('open' as const) : ('loopback' as const);

  return {
    env: e.MREG_ENV,
    host: e.MREG_HOST,
    port: e.MREG_PORT,
    publicUrl,
    /** Absolute path of the directory for embedded data (the embedded PostgreSQL, signing keys). */
    dataDir: resolve(cwd, e.MREG_DATA_DIR),
    databaseUrl: e.MREG_DATABASE_URL,
    /** Longest a query may run (server side) or go unanswered (client side), in ms; migrations have their own. */
    databaseStatementTimeoutMs: e.MREG_DATABASE_STATEMENT_TIMEOUT * 1000,
    /** With sentinels, only its user name, password, database number and TLS (rediss:) are used, for the data nodes. */
    redisUrl: e.MREG_REDIS_URL,
    /**
     * Redis Sentinel: the sentinels to ask for the primary, the master group's name, and the
     * sentinels' own password (AUTH on the sentinels, which may differ from the data nodes').
     */
    redisSentinel:
      e.MREG_REDIS_SENTINELS.length > 0 && e.MREG_REDIS_SENTINEL_NAME
        ? { sentinels: e.MREG_REDIS_SENTINELS, name: e.MREG_REDIS_SENTINEL_NAME, password: e.MREG_REDIS_SENTINEL_PASSWORD }
        : undefined,
    /** Prefix of every Redis key (`<namespace>:session:...`), so that deployments can share a Redis. */
    redisNamespace: e.MREG_REDIS_NAMESPACE,
    logLevel: e.MREG_LOG_LEVEL,
    /** Reverse proxies in front of MREG whose X-Forwarded-For is believed (Express `trust proxy`). */
    trustProxy: e.MREG_TRUST_PROXY,
    /** Connections the public port holds at once; beyond it, new ones are closed unanswered. */
    maxConnections: e.MREG_MAX_CONNECTIONS,
    /**
     * After SIGTERM, how long /readyz answers 503 while requests are still served, so that a load
     * balancer takes this instance out before its listener closes.
     */
    shutdownDrainMs: e.MREG_SHUTDOWN_DRAIN_SECONDS * 1000,
    /** tRPC calls a minute per session, and per client IP without one; a batch counts as its calls. */
    trpcRateLimit: e.MREG_TRPC_RATE_LIMIT,
    metrics: {
      /** The loopback-only listener for /metrics: a port (0: any free one), or null when off. */
      port: e.MREG_METRICS_PORT,
      /** When set, /metrics is also served on the public port, and on both only to `Authorization: Bearer <token>`. */
      token: e.MREG_METRICS_TOKEN,
    },
    /** The key that encrypts upstream secrets; undefined: the one in MREG_DATA_DIR/secret.key (made once). */
    secretKey: e.MREG_SECRET_KEY,
    registry: {
      /** Upstreams on private and loopback addresses (default: outside production only). */
      allowPrivate: e.MREG_REGISTRY_ALLOW_PRIVATE ?? e.MREG_ENV !== 'production',
      /** Host names allowed whatever they resolve to (link-local and metadata addresses excepted). */
      allowedHosts: e.MREG_REGISTRY_ALLOWED_HOSTS,
      healthIntervalMs: e.MREG_REGISTRY_HEALTH_INTERVAL * 1000,
      unhealthyAfter: e.MREG_REGISTRY_UNHEALTHY_AFTER,
      /** A catalogue older than this is discovered again by the health loop. */
      catalogueTtlMs: e.MREG_REGISTRY_CATALOGUE_TTL * 1000,
    },
    gateway: {
      /** Longest an upstream call through /mcp or /mcp/<slug> may go without an answer (progress restarts it). */
      callTimeoutMs: e.MREG_GATEWAY_CALL_TIMEOUT * 1000,
      /** MCP requests a minute per credential (API key) on /mcp and /mcp/<slug>. */
      rateLimit: e.MREG_GATEWAY_RATE_LIMIT,
      /** MCP requests a minute per tenant, all its credentials together. */
      tenantRateLimit: e.MREG_GATEWAY_TENANT_RATE_LIMIT,
    },
    oauth: {
      /** Requests a minute per client address on /authorize, /token and /revoke. */
      rateLimit: e.MREG_OAUTH_RATE_LIMIT,
      /** Client registrations an hour per client address on /register. */
      registrationRateLimit: e.MREG_OAUTH_REGISTRATION_RATE_LIMIT,
    },
    audit: {
      /** Events older than this many days are deleted by the clean-up job. */
      retentionDays: e.MREG_AUDIT_RETENTION_DAYS,
      /** Whether tool calls through /mcp are recorded (security events always are). */
      toolCalls: e.MREG_AUDIT_TOOL_CALLS,
    },
    /** Undefined when Entra ID is not configured: the development provider is used instead. */
    entra,
    /** Tenant ids allowed to sign in; empty means any. */
    allowedTenants: e.MREG_AZURE_ALLOWED_TENANTS.map((t) => t.toLowerCase()),
    /** Requests per minute and client IP on /auth/login and on /auth/callback. */
    signInRateLimit: e.MREG_SIGN_IN_RATE_LIMIT,
    /**
     * Whether the development provider is served: null with Entra ID; `loopback` where only this
     * machine reaches it (problemsBetween refuses anything else); `open` because MREG_DEV_SIGN_IN=true
     * said so, and then start-up warns and the app shows a banner on every page.
     */
    devSignIn,
    fastmcp: {
      sessionCleanupIntervalSeconds: e.MREG_FASTMCP_SESSION_CLEANUP_INTERVAL,
      profileCacheTtlSeconds: e.MREG_FASTMCP_PROFILE_CACHE_TTL,
      /** Under database storage, how long auth.user's preferences stay cached; 0 reads the table every time. */
      preferencesCacheTtlSeconds: e.MREG_FASTMCP_PREFERENCES_CACHE_TTL,
      preferencesStorage: e.MREG_FASTMCP_PREFERENCES_STORAGE,
    },
    /** The session lifetime rules in milliseconds (modules/sessions/sessions.lifetime.ts applies them). */
    sessionLifetime: {
      expireMs: e.MREG_FASTMCP_SESSION_EXPIRE_HOURS * 3600_000,
      /** A request this close to expiry renews the session; 0 turns renewal off. */
      refreshThresholdMs: e.MREG_FASTMCP_SESSION_REFRESH_THRESHOLD * 3600_000,
      /** No renewal takes a session beyond this long after sign-in. */
      absoluteMs: e.MREG_FASTMCP_SESSION_ABSOLUTE_HOURS * 3600_000,
      /** A session unused this long has ended. */
      idleMs: e.MREG_FASTMCP_SESSION_IDLE_TIMEOUT_MINUTES * 60_000,
    },
    /** Which features are on, computed here once rather than at every request that checks one. */
    features: featureSet((variable) => e[variable], {
      preferencesStorage: e.MREG_FASTMCP_PREFERENCES_STORAGE,
      signIn: entra ? 'entra-id' : 'development',
      devSignInOpen: devSignIn === 'open',
    }),
    /** Problems that do not stop the server, such as unknown MREG_ variables. */
    warnings: [
      ...unknown.map((key) => `${key}: unknown variable, ignored (check the spelling against .env.example)`),
      ...(entra && e.MREG_DEV_SIGN_IN ? ['MREG_DEV_SIGN_IN: ignored, since Entra ID is configured (the development sign-in is not served)'] : []),
    ],
  };
}

export type Settings = ReturnType<typeof toSettings>;
