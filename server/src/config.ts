import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { PREFERENCES_STORAGE_MODES, type Features } from '@mreg/shared';

/**
 * The MREG_ environment, parsed once at boot. Every variable is listed in .env.example in the same
 * order; an empty value counts as unset.
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

const text = (max: number) =>
  z.string().max(max, { error: `is longer than ${max} characters` }).optional();

const ZEnv = z.object({
  MREG_ENV: oneOf(ENVIRONMENTS, 'development'),
  MREG_HOST: z.string().default('127.0.0.1'),
  MREG_PORT: int(8000, 0, 65535),
  MREG_PUBLIC_URL: url(['http:', 'https:']),
  MREG_DATA_DIR: z.string().default('.data'),
  MREG_DATABASE_URL: url(['postgres:', 'postgresql:']),
  MREG_REDIS_URL: url(['redis:', 'rediss:']),
  MREG_LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),

  MREG_AZURE_TENANT_ID: text(100),
  MREG_AZURE_CLIENT_ID: text(100),
  MREG_AZURE_CLIENT_SECRET: text(500),
  MREG_AZURE_ALLOWED_TENANTS: text(10_000),

  MREG_FASTMCP_ENHANCED_AUTH_ENABLED: bool(true),
  MREG_FASTMCP_USER_PROFILES_ENABLED: bool(true),
  MREG_FASTMCP_SESSION_MANAGEMENT_ENHANCED: bool(true),
  MREG_FASTMCP_SESSION_EXPIRE_HOURS: int(24, 1, 24 * 365),
  MREG_FASTMCP_SESSION_REFRESH_THRESHOLD: int(2, 0, 24 * 365),
  MREG_FASTMCP_SESSION_CLEANUP_INTERVAL: int(3600, 1, 7 * 24 * 3600),
  MREG_FASTMCP_PROFILE_CACHE_TTL: int(3600, 0, 7 * 24 * 3600),
  MREG_FASTMCP_PREFERENCES_STORAGE: oneOf(PREFERENCES_STORAGE_MODES, 'database'),
  MREG_FASTMCP_AVATAR_STORAGE_ENABLED: bool(true),
  MREG_FASTMCP_TENANT_SWITCHING_ENABLED: bool(true),
  MREG_FASTMCP_TENANT_CONTEXT_CACHING: bool(true),
  MREG_FASTMCP_ROLE_BASED_UI_ENABLED: bool(true),
});

/** Variables read by the test and benchmark harnesses, never by the server. */
const HARNESS_PREFIXES = ['MREG_TEST_', 'MREG_BENCH_'];
const KNOWN = new Set(Object.keys(ZEnv.shape));

type Env = z.infer<typeof ZEnv>;

export interface EntraSettings {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

export interface Settings {
  env: Env['MREG_ENV'];
  host: string;
  port: number;
  publicUrl: URL;
  /** Absolute path of the directory for embedded data (PGlite, signing keys). */
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  logLevel: Env['MREG_LOG_LEVEL'];
  /** Undefined when Entra ID is not configured: the development provider is used instead. */
  entra: EntraSettings | undefined;
  /** Tenant ids allowed to sign in; empty means any. */
  allowedTenants: string[];
  fastmcp: {
    enhancedAuthEnabled: boolean;
    userProfilesEnabled: boolean;
    sessionManagementEnhanced: boolean;
    sessionExpireHours: number;
    sessionRefreshThresholdHours: number;
    sessionCleanupIntervalSeconds: number;
    profileCacheTtlSeconds: number;
    preferencesStorage: Env['MREG_FASTMCP_PREFERENCES_STORAGE'];
    avatarStorageEnabled: boolean;
    tenantSwitchingEnabled: boolean;
    tenantContextCaching: boolean;
    roleBasedUiEnabled: boolean;
  };
  /** Problems that do not stop the server, such as unknown MREG_ variables. */
  warnings: string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads `.env` (if present) under the real environment: a variable set in both keeps the real value. */
export function readEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  envFile = '.env',
): Record<string, string | undefined> {
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};
  return { ...fromFile, ...env };
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

export function parseSettings(raw: Record<string, string | undefined>, cwd = process.cwd()): Settings {
  const input = Object.fromEntries(
    Object.entries(raw).filter(([key, value]) => key.startsWith('MREG_') && value !== undefined && value !== ''),
  );
  const parsed = ZEnv.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];

  const azure = {
    MREG_AZURE_TENANT_ID: e.MREG_AZURE_TENANT_ID,
    MREG_AZURE_CLIENT_ID: e.MREG_AZURE_CLIENT_ID,
    MREG_AZURE_CLIENT_SECRET: e.MREG_AZURE_CLIENT_SECRET,
  };
  const missingAzure = Object.entries(azure).filter(([, v]) => v === undefined).map(([k]) => k);
  let entra: EntraSettings | undefined;
  if (missingAzure.length === 0) {
    entra = {
      tenantId: e.MREG_AZURE_TENANT_ID!,
      clientId: e.MREG_AZURE_CLIENT_ID!,
      clientSecret: e.MREG_AZURE_CLIENT_SECRET!,
    };
  } else if (missingAzure.length < 3) {
    problems.push(`${missingAzure.join(', ')}: missing; Entra ID needs MREG_AZURE_TENANT_ID, MREG_AZURE_CLIENT_ID and MREG_AZURE_CLIENT_SECRET together`);
  } else if (e.MREG_ENV === 'production') {
    problems.push(`${missingAzure.join(', ')}: missing; production needs Entra ID (the development sign-in provider is not served in production)`);
  }

  if (e.MREG_FASTMCP_SESSION_REFRESH_THRESHOLD >= e.MREG_FASTMCP_SESSION_EXPIRE_HOURS) {
    problems.push(
      `MREG_FASTMCP_SESSION_REFRESH_THRESHOLD: ${e.MREG_FASTMCP_SESSION_REFRESH_THRESHOLD} must be less than MREG_FASTMCP_SESSION_EXPIRE_HOURS (${e.MREG_FASTMCP_SESSION_EXPIRE_HOURS})`,
    );
  }
  if (e.MREG_FASTMCP_PREFERENCES_STORAGE !== 'database' && e.MREG_REDIS_URL === undefined) {
    problems.push(
      `MREG_FASTMCP_PREFERENCES_STORAGE: "${e.MREG_FASTMCP_PREFERENCES_STORAGE}" needs Redis; set MREG_REDIS_URL or use database`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const publicHost = WILDCARD_HOSTS.has(e.MREG_HOST) ? '127.0.0.1' : e.MREG_HOST;
  const publicUrl = new URL(e.MREG_PUBLIC_URL ?? `http://${publicHost}:${e.MREG_PORT}`);
  const unknown = Object.keys(input).filter(
    (key) => !KNOWN.has(key) && !HARNESS_PREFIXES.some((prefix) => key.startsWith(prefix)),
  );

  return {
    env: e.MREG_ENV,
    host: e.MREG_HOST,
    port: e.MREG_PORT,
    publicUrl,
    dataDir: resolve(cwd, e.MREG_DATA_DIR),
    databaseUrl: e.MREG_DATABASE_URL,
    redisUrl: e.MREG_REDIS_URL,
    logLevel: e.MREG_LOG_LEVEL,
    entra,
    allowedTenants: (e.MREG_AZURE_ALLOWED_TENANTS ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    fastmcp: {
      enhancedAuthEnabled: e.MREG_FASTMCP_ENHANCED_AUTH_ENABLED,
      userProfilesEnabled: e.MREG_FASTMCP_USER_PROFILES_ENABLED,
      sessionManagementEnhanced: e.MREG_FASTMCP_SESSION_MANAGEMENT_ENHANCED,
      sessionExpireHours: e.MREG_FASTMCP_SESSION_EXPIRE_HOURS,
      sessionRefreshThresholdHours: e.MREG_FASTMCP_SESSION_REFRESH_THRESHOLD,
      sessionCleanupIntervalSeconds: e.MREG_FASTMCP_SESSION_CLEANUP_INTERVAL,
      profileCacheTtlSeconds: e.MREG_FASTMCP_PROFILE_CACHE_TTL,
      preferencesStorage: e.MREG_FASTMCP_PREFERENCES_STORAGE,
      avatarStorageEnabled: e.MREG_FASTMCP_AVATAR_STORAGE_ENABLED,
      tenantSwitchingEnabled: e.MREG_FASTMCP_TENANT_SWITCHING_ENABLED,
      tenantContextCaching: e.MREG_FASTMCP_TENANT_CONTEXT_CACHING,
      roleBasedUiEnabled: e.MREG_FASTMCP_ROLE_BASED_UI_ENABLED,
    },
    warnings: unknown.map((key) => `${key}: unknown variable, ignored (check the spelling against .env.example)`),
  };
}

/** Which features the server offers, as `config.features` reports them. */
export function featuresOf(settings: Settings): Features {
  const f = settings.fastmcp;
  return {
    enhancedAuth: f.enhancedAuthEnabled,
    userProfiles: f.userProfilesEnabled,
    sessionManagement: f.sessionManagementEnhanced,
    avatarStorage: f.avatarStorageEnabled,
    tenantSwitching: f.tenantSwitchingEnabled,
    tenantContextCaching: f.tenantContextCaching,
    roleBasedUi: f.roleBasedUiEnabled,
    preferencesStorage: f.preferencesStorage,
    signIn: settings.entra ? 'entra-id' : 'development',
  };
}

/** Settings for this process: the environment over `.env`, or the reasons it cannot start. */
export function loadSettings(): Settings {
  return parseSettings(readEnvironment());
}
