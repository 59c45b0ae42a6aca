import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseSettings, readEnvironment, SETTINGS_VARIABLES } from './index';

const SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

function problems(env: Record<string, string>): string[] {
  try {
    parseSettings(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseSettings', () => {
  it("uses the plan's defaults and the embedded defaults when nothing is set", () => {
    const s = parseSettings({}, '/srv/mreg');
    expect(s).toMatchObject({
      env: 'development',
      host: '127.0.0.1',
      port: 8000,
      dataDir: '/srv/mreg/.data',
      databaseUrl: undefined,
      databaseStatementTimeoutMs: 5000,
      redisUrl: undefined,
      redisNamespace: 'mreg',
      logLevel: 'info',
      trustProxy: 0,
      maxConnections: 1000,
      trpcRateLimit: 600,
      entra: undefined,
      allowedTenants: [],
      signInRateLimit: 30,
      fastmcp: {
        sessionCleanupIntervalSeconds: 3600,
        profileCacheTtlSeconds: 3600,
        preferencesCacheTtlSeconds: 3600,
        preferencesStorage: 'database',
      },
      sessionLifetime: { expireMs: 24 * 3600_000, refreshThresholdMs: 2 * 3600_000, absoluteMs: 168 * 3600_000, idleMs: 720 * 60_000 },
      warnings: [],
    });
    expect(s.publicUrl.href).toBe('http://127.0.0.1:8000/');
    expect(s.features.offered.signIn).toBe('development');
  });

  it('reads every variable', () => {
    const s = parseSettings({
      MREG_ENV: 'production',
      MREG_SECRET_KEY: SECRET_KEY,
      MREG_REGISTRY_ALLOWED_HOSTS: 'MCP.internal.example, tools.example',
      MREG_REGISTRY_HEALTH_INTERVAL: '30',
      MREG_REGISTRY_UNHEALTHY_AFTER: '5',
      MREG_REGISTRY_CATALOGUE_TTL: '600',
      MREG_HOST: '0.0.0.0',
      MREG_PORT: '9000',
      MREG_PUBLIC_URL: 'https://mreg.example.com',
      MREG_DATA_DIR: '/var/lib/mreg',
      MREG_DATABASE_URL: 'postgresql://mreg:secret@db:5432/mreg',
      MREG_DATABASE_STATEMENT_TIMEOUT: '30',
      MREG_REDIS_URL: 'redis://cache:6379/1',
      MREG_REDIS_NAMESPACE: 'mreg-eu',
      MREG_METRICS_PORT: '9100',
      MREG_METRICS_TOKEN: 'a'.repeat(32),
      MREG_LOG_LEVEL: 'warn',
      MREG_TRUST_PROXY: '2',
      MREG_MAX_CONNECTIONS: '250',
      MREG_SHUTDOWN_DRAIN_SECONDS: '5',
      MREG_TRPC_RATE_LIMIT: '1200',
      MREG_AZURE_TENANT_ID: '11111111-2222-4333-8444-555555555555',
      MREG_AZURE_CLIENT_ID: 'client-1',
      MREG_AZURE_CLIENT_SECRET: 's3cret',
      MREG_AZURE_ALLOWED_TENANTS: '11111111-2222-4333-8444-555555555555, AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE,',
      MREG_SIGN_IN_RATE_LIMIT: '100',
      MREG_FASTMCP_ENHANCED_AUTH_ENABLED: '0',
      MREG_FASTMCP_USER_PROFILES_ENABLED: 'false',
      MREG_FASTMCP_SESSION_MANAGEMENT_ENHANCED: '1',
      MREG_FASTMCP_SESSION_EXPIRE_HOURS: '8',
      MREG_FASTMCP_SESSION_REFRESH_THRESHOLD: '1',
      MREG_FASTMCP_SESSION_ABSOLUTE_HOURS: '48',
      MREG_FASTMCP_SESSION_IDLE_TIMEOUT_MINUTES: '90',
      MREG_FASTMCP_SESSION_CLEANUP_INTERVAL: '60',
      MREG_FASTMCP_PROFILE_CACHE_TTL: '120',
      MREG_FASTMCP_PREFERENCES_CACHE_TTL: '0',
      MREG_FASTMCP_PREFERENCES_STORAGE: 'both',
      MREG_FASTMCP_AVATAR_STORAGE_ENABLED: 'false',
      MREG_FASTMCP_TENANT_SWITCHING_ENABLED: 'false',
      MREG_FASTMCP_TENANT_CONTEXT_CACHING: 'false',
      MREG_FASTMCP_ROLE_BASED_UI_ENABLED: 'false',
    });
    expect(s.env).toBe('production');
    expect(s.port).toBe(9000);
    expect(s.publicUrl.href).toBe('https://mreg.example.com/');
    expect(s.dataDir).toBe('/var/lib/mreg');
    expect(s.databaseStatementTimeoutMs).toBe(30_000);
    expect(s.entra).toEqual({ tenantId: '11111111-2222-4333-8444-555555555555', clientId: 'client-1', clientSecret: 's3cret' });
    expect(s.allowedTenants).toEqual(['11111111-2222-4333-8444-555555555555', 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee']);
    expect(s.trustProxy).toBe(2);
    expect(s.maxConnections).toBe(250);
    expect(s.shutdownDrainMs).toBe(5000);
    expect(s.trpcRateLimit).toBe(1200);
    expect(s.redisNamespace).toBe('mreg-eu');
    expect(s.signInRateLimit).toBe(100);
    expect(s.metrics).toEqual({ port: 9100, token: 'a'.repeat(32) });
    expect(s.fastmcp).toEqual({
      sessionCleanupIntervalSeconds: 60,
      profileCacheTtlSeconds: 120,
      preferencesCacheTtlSeconds: 0,
      preferencesStorage: 'both',
    });
    expect(s.sessionLifetime).toEqual({ expireMs: 8 * 3600_000, refreshThresholdMs: 3600_000, absoluteMs: 48 * 3600_000, idleMs: 90 * 60_000 });
    expect(s.features.offered).toMatchObject({ signIn: 'entra-id', enhancedAuth: false, preferencesStorage: 'both' });
    expect(s.secretKey?.equals(Buffer.alloc(32, 7))).toBe(true);
    expect(s.registry).toEqual({
      allowPrivate: false,
      allowedHosts: ['mcp.internal.example', 'tools.example'],
      healthIntervalMs: 30_000,
      unhealthyAfter: 5,
      catalogueTtlMs: 600_000,
    });
  });

  it('allows private upstreams by default outside production only, and takes the switch either way', () => {
    expect(parseSettings({}).registry).toEqual({ allowPrivate: true, allowedHosts: [], healthIntervalMs: 60_000, unhealthyAfter: 3, catalogueTtlMs: 3_600_000 });
    expect(parseSettings({ MREG_REGISTRY_ALLOW_PRIVATE: 'false' }).registry.allowPrivate).toBe(false);
    expect(problems({ MREG_REGISTRY_ALLOW_PRIVATE: 'yes', MREG_REGISTRY_ALLOWED_HOSTS: 'ok.example, bad host', MREG_REGISTRY_HEALTH_INTERVAL: '1' })).toEqual([
      'MREG_REGISTRY_ALLOW_PRIVATE: "yes" is not a boolean; use true, false, 1 or 0',
      'MREG_REGISTRY_ALLOWED_HOSTS: "bad host": not a host name; list host names (mcp.internal.example) separated by commas',
      'MREG_REGISTRY_HEALTH_INTERVAL: 1 is too small; the minimum is 5',
    ]);
  });

  it('refuses a secret key that is not 32 bytes of base64, without repeating it', () => {
    const short = Buffer.alloc(16, 1).toString('base64');
    expect(problems({ MREG_SECRET_KEY: short })).toEqual(['MREG_SECRET_KEY: must be 32 bytes in base64 (44 characters; openssl rand -base64 32 makes one)']);
    expect(problems({ MREG_SECRET_KEY: 'x'.repeat(44) }).join()).not.toContain('xxxx');
  });

  it('switches every feature off with enhanced authentication, and names the variable that did it', () => {
    const off = parseSettings({ MREG_FASTMCP_ENHANCED_AUTH_ENABLED: 'false' });
    expect(off.features.offered).toMatchObject({
      enhancedAuth: false,
      userProfiles: false,
      sessionManagement: false,
      avatarStorage: false,
      tenantSwitching: false,
      tenantContextCaching: false,
      roleBasedUi: false,
    });
    expect(off.features.off.tenantSwitching).toBe('Tenant switching is switched off on this server (MREG_FASTMCP_ENHANCED_AUTH_ENABLED=false)');

    const noProfiles = parseSettings({ MREG_FASTMCP_USER_PROFILES_ENABLED: '0' });
    expect(noProfiles.features.offered).toMatchObject({ enhancedAuth: true, userProfiles: false, avatarStorage: false, tenantSwitching: true });
    expect(noProfiles.features.off.avatarStorage).toBe('Avatar storage is switched off on this server (MREG_FASTMCP_USER_PROFILES_ENABLED=false)');

    const noRoles = parseSettings({ MREG_FASTMCP_ROLE_BASED_UI_ENABLED: 'false' });
    expect(noRoles.features.off.roleBasedUi).toBe('Role-based UI is switched off on this server (MREG_FASTMCP_ROLE_BASED_UI_ENABLED=false)');
    expect(noRoles.features.off.tenantSwitching).toBeNull();
  });

  it('names the variable, the bad value and what is allowed', () => {
    expect(problems({ MREG_FASTMCP_PREFERENCES_STORAGE: 'disk' })).toEqual([
      'MREG_FASTMCP_PREFERENCES_STORAGE: "disk" is not one of database, redis, both',
    ]);
    expect(problems({ MREG_ENV: 'staging' })).toEqual([
      'MREG_ENV: "staging" is not one of development, test, production',
    ]);
    expect(problems({ MREG_PORT: 'eighty' })).toEqual(['MREG_PORT: "eighty" is not a whole number']);
    expect(problems({ MREG_PORT: '70000' })).toEqual(['MREG_PORT: 70000 is too large; the maximum is 65535']);
    expect(problems({ MREG_FASTMCP_SESSION_EXPIRE_HOURS: '0' })).toEqual([
      'MREG_FASTMCP_SESSION_EXPIRE_HOURS: 0 is too small; the minimum is 1',
    ]);
    expect(problems({ MREG_DATABASE_URL: 'mysql://db/mreg' })).toEqual([
      'MREG_DATABASE_URL: "mysql://db/mreg" is not a URL starting with postgres:// or postgresql://',
    ]);
    expect(problems({ MREG_DATABASE_STATEMENT_TIMEOUT: '0' })).toEqual([
      'MREG_DATABASE_STATEMENT_TIMEOUT: 0 is too small; the minimum is 1',
    ]);
    expect(problems({ MREG_REDIS_URL: 'localhost:6379' })).toEqual([
      'MREG_REDIS_URL: "localhost:6379" is not a URL starting with redis:// or rediss://',
    ]);
    expect(problems({ MREG_MAX_CONNECTIONS: '0' })).toEqual(['MREG_MAX_CONNECTIONS: 0 is too small; the minimum is 1']);
    expect(problems({ MREG_MAX_CONNECTIONS: 'unlimited' })).toEqual(['MREG_MAX_CONNECTIONS: "unlimited" is not a whole number']);
    expect(problems({ MREG_SHUTDOWN_DRAIN_SECONDS: '301' })).toEqual(['MREG_SHUTDOWN_DRAIN_SECONDS: 301 is too large; the maximum is 300']);
    expect(problems({ MREG_SHUTDOWN_DRAIN_SECONDS: '-1' })).toEqual(['MREG_SHUTDOWN_DRAIN_SECONDS: "-1" is not a whole number']);
    expect(problems({ MREG_TRPC_RATE_LIMIT: '0' })).toEqual(['MREG_TRPC_RATE_LIMIT: 0 is too small; the minimum is 1']);
    expect(problems({ MREG_TRPC_RATE_LIMIT: '10000001' })).toEqual(['MREG_TRPC_RATE_LIMIT: 10000001 is too large; the maximum is 10000000']);
    expect(problems({ MREG_TRPC_RATE_LIMIT: '1e3' })).toEqual(['MREG_TRPC_RATE_LIMIT: "1e3" is not a whole number']);
    expect(problems({ MREG_GATEWAY_CALL_TIMEOUT: '0' })).toEqual(['MREG_GATEWAY_CALL_TIMEOUT: 0 is too small; the minimum is 1']);
    expect(problems({ MREG_GATEWAY_CALL_TIMEOUT: '3601' })).toEqual(['MREG_GATEWAY_CALL_TIMEOUT: 3601 is too large; the maximum is 3600']);
    expect(problems({ MREG_GATEWAY_CALL_TIMEOUT: '1.5' })).toEqual(['MREG_GATEWAY_CALL_TIMEOUT: "1.5" is not a whole number']);
  });

  it('waits 60 s on an upstream call by default, and takes seconds', () => {
    expect(parseSettings({}).gateway.callTimeoutMs).toBe(60_000);
    expect(parseSettings({ MREG_GATEWAY_CALL_TIMEOUT: '5' }).gateway.callTimeoutMs).toBe(5000);
  });

  it('serves metrics on loopback port 9464 by default, with no token; takes a port, 0 or off', () => {
    expect(parseSettings({}).metrics).toEqual({ port: 9464, token: undefined });
    expect(parseSettings({ MREG_METRICS_PORT: '0' }).metrics.port).toBe(0);
    expect(parseSettings({ MREG_METRICS_PORT: 'off' }).metrics.port).toBeNull();
    expect(parseSettings({ MREG_METRICS_PORT: '' }).metrics.port).toBe(9464);
    expect(parseSettings({ MREG_PORT: '0', MREG_METRICS_PORT: '0' }).metrics.port).toBe(0);
  });

  it('refuses a metrics port that is not a port or off, or is MREG_PORT', () => {
    const allowed = 'is not a port (0 to 65535, 0 for any free port) or off';
    expect(problems({ MREG_METRICS_PORT: 'OFF' })).toEqual([`MREG_METRICS_PORT: "OFF" ${allowed}`]);
    expect(problems({ MREG_METRICS_PORT: 'false' })).toEqual([`MREG_METRICS_PORT: "false" ${allowed}`]);
    expect(problems({ MREG_METRICS_PORT: '70000' })).toEqual([`MREG_METRICS_PORT: "70000" ${allowed}`]);
    expect(problems({ MREG_METRICS_PORT: '-1' })).toEqual([`MREG_METRICS_PORT: "-1" ${allowed}`]);
    expect(problems({ MREG_METRICS_PORT: '8000' })).toEqual([
      'MREG_METRICS_PORT: 8000 is MREG_PORT too; pick another port, 0 for any free port, or off',
    ]);
  });

  it('refuses a short or unprintable metrics token without repeating it', () => {
    expect(problems({ MREG_METRICS_TOKEN: 'secret-but-short' })).toEqual([
      'MREG_METRICS_TOKEN: is 16 characters long; use at least 32 (openssl rand -base64 32 makes one)',
    ]);
    expect(problems({ MREG_METRICS_TOKEN: `${'a'.repeat(32)} b` })).toEqual([
      'MREG_METRICS_TOKEN: may hold only visible ASCII characters (no spaces)',
    ]);
    expect(problems({ MREG_METRICS_TOKEN: 'a'.repeat(513) })).toEqual(['MREG_METRICS_TOKEN: is longer than 512 characters']);
    expect(parseSettings({ MREG_METRICS_TOKEN: 'Zm9v+/='.repeat(5) }).metrics.token).toBe('Zm9v+/='.repeat(5));
  });

  it('reports every problem at once, one line each', () => {
    expect(problems({ MREG_LOG_LEVEL: 'loud', MREG_FASTMCP_AVATAR_STORAGE_ENABLED: 'yes', MREG_PORT: '-1' })).toEqual([
      'MREG_PORT: "-1" is not a whole number',
      'MREG_LOG_LEVEL: "loud" is not one of fatal, error, warn, info, debug, trace, silent',
      'MREG_FASTMCP_AVATAR_STORAGE_ENABLED: "yes" is not a boolean; use true, false, 1 or 0',
    ]);
  });

  it('reports problems between variables together with those of single variables', () => {
    expect(problems({ MREG_ENV: 'production', MREG_PORT: 'x', MREG_FASTMCP_SESSION_EXPIRE_HOURS: '1' })).toEqual([
      'MREG_PORT: "x" is not a whole number',
      'MREG_AZURE_TENANT_ID, MREG_AZURE_CLIENT_ID, MREG_AZURE_CLIENT_SECRET: missing; production needs Entra ID (the development sign-in provider is not served in production)',
      'MREG_SECRET_KEY: missing; production needs the key that encrypts upstream secrets, the same on every instance (openssl rand -base64 32 makes one)',
      'MREG_FASTMCP_SESSION_REFRESH_THRESHOLD: 2 must be less than MREG_FASTMCP_SESSION_EXPIRE_HOURS (1)',
    ]);
  });

  it.each(['true', '1'])('accepts %s as true', (value) => {
    expect(parseSettings({ MREG_FASTMCP_ROLE_BASED_UI_ENABLED: value }).features.offered.roleBasedUi).toBe(true);
  });

  it.each(['false', '0'])('accepts %s as false', (value) => {
    expect(parseSettings({ MREG_FASTMCP_ROLE_BASED_UI_ENABLED: value }).features.offered.roleBasedUi).toBe(false);
  });

  it.each(['TRUE', 'yes', 'on', 'False', '2'])('refuses %s as a boolean', (value) => {
    expect(problems({ MREG_FASTMCP_TENANT_SWITCHING_ENABLED: value })).toEqual([
      `MREG_FASTMCP_TENANT_SWITCHING_ENABLED: "${value}" is not a boolean; use true, false, 1 or 0`,
    ]);
  });

  it('treats an empty value as unset', () => {
    expect(parseSettings({ MREG_DATABASE_URL: '', MREG_PORT: '' })).toMatchObject({ databaseUrl: undefined, port: 8000 });
  });

  it('needs the three Entra ID variables together', () => {
    expect(problems({ MREG_AZURE_CLIENT_ID: 'client-1' })).toEqual([
      'MREG_AZURE_TENANT_ID, MREG_AZURE_CLIENT_SECRET: missing; Entra ID needs MREG_AZURE_TENANT_ID, MREG_AZURE_CLIENT_ID and MREG_AZURE_CLIENT_SECRET together',
    ]);
  });

  it('takes a GUID, organizations or common as the Entra ID tenant, and GUIDs in the allow-list', () => {
    const entra = { MREG_AZURE_CLIENT_ID: 'c', MREG_AZURE_CLIENT_SECRET: 's' };
    expect(problems({ ...entra, MREG_AZURE_TENANT_ID: 'contoso.onmicrosoft.com' })).toEqual([
      'MREG_AZURE_TENANT_ID: "contoso.onmicrosoft.com" is not a tenant id (a GUID), organizations or common',
    ]);
    expect(problems({ MREG_AZURE_ALLOWED_TENANTS: '11111111-2222-4333-8444-555555555555,contoso' })).toEqual([
      'MREG_AZURE_ALLOWED_TENANTS: "11111111-2222-4333-8444-555555555555,contoso" must be tenant ids (GUIDs) separated by commas',
    ]);
    expect(parseSettings({ ...entra, MREG_AZURE_TENANT_ID: 'organizations', MREG_AZURE_ALLOWED_TENANTS: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee' }).entra?.tenantId).toBe(
      'organizations',
    );
  });

  it('refuses a multi-tenant authority without an allow-list', () => {
    const entra = { MREG_AZURE_CLIENT_ID: 'c', MREG_AZURE_CLIENT_SECRET: 's' };
    expect(problems({ ...entra, MREG_AZURE_TENANT_ID: 'common' })).toEqual([
      'MREG_AZURE_ALLOWED_TENANTS: missing; with MREG_AZURE_TENANT_ID=common any organisation could sign in, so list the tenant ids allowed',
    ]);
  });

  it('refuses production without Entra ID', () => {
    expect(problems({ MREG_ENV: 'production' })).toEqual([
      'MREG_AZURE_TENANT_ID, MREG_AZURE_CLIENT_ID, MREG_AZURE_CLIENT_SECRET: missing; production needs Entra ID (the development sign-in provider is not served in production)',
      'MREG_SECRET_KEY: missing; production needs the key that encrypts upstream secrets, the same on every instance (openssl rand -base64 32 makes one)',
    ]);
  });

  it('refuses Redis preference storage without Redis', () => {
    expect(problems({ MREG_FASTMCP_PREFERENCES_STORAGE: 'redis' })).toEqual([
      'MREG_FASTMCP_PREFERENCES_STORAGE: "redis" needs Redis; set MREG_REDIS_URL or MREG_REDIS_SENTINELS, or use database',
    ]);
    expect(parseSettings({ MREG_FASTMCP_PREFERENCES_STORAGE: 'redis', MREG_REDIS_URL: 'redis://127.0.0.1:6379' }).fastmcp.preferencesStorage).toBe('redis');
    const sentinels = { MREG_REDIS_SENTINELS: '127.0.0.1:26379', MREG_REDIS_SENTINEL_NAME: 'mymaster' };
    expect(parseSettings({ MREG_FASTMCP_PREFERENCES_STORAGE: 'both', ...sentinels }).fastmcp.preferencesStorage).toBe('both');
  });

  it('refuses a refresh threshold that is not shorter than the session', () => {
    expect(problems({ MREG_FASTMCP_SESSION_EXPIRE_HOURS: '2' })).toEqual([
      'MREG_FASTMCP_SESSION_REFRESH_THRESHOLD: 2 must be less than MREG_FASTMCP_SESSION_EXPIRE_HOURS (2)',
    ]);
  });

  it('refuses an absolute session lifetime shorter than the session', () => {
    expect(problems({ MREG_FASTMCP_SESSION_ABSOLUTE_HOURS: '12' })).toEqual([
      'MREG_FASTMCP_SESSION_ABSOLUTE_HOURS: 12 must be at least MREG_FASTMCP_SESSION_EXPIRE_HOURS (24)',
    ]);
    expect(problems({ MREG_FASTMCP_SESSION_IDLE_TIMEOUT_MINUTES: '1' })).toEqual([
      'MREG_FASTMCP_SESSION_IDLE_TIMEOUT_MINUTES: 1 is too small; the minimum is 5',
    ]);
  });

  it('warns about unknown MREG_ variables but not about the test and bench harness ones', () => {
    const s = parseSettings({ MREG_FASTMCP_SESION_EXPIRE_HOURS: '4', MREG_TEST_DATABASE_URL: 'x', MREG_BENCH_REDIS_URL: 'y', PATH: '/bin' });
    expect(s.warnings).toEqual([
      'MREG_FASTMCP_SESION_EXPIRE_HOURS: unknown variable, ignored (check the spelling against .env.example)',
    ]);
  });

  it('uses 127.0.0.1 in the default public URL when listening on every interface', () => {
    expect(parseSettings({ MREG_HOST: '0.0.0.0', MREG_PORT: '8080', MREG_DEV_SIGN_IN: 'true' }).publicUrl.href).toBe('http://127.0.0.1:8080/');
    expect(parseSettings({ MREG_HOST: '::1', MREG_PORT: '8080' }).publicUrl.href).toBe('http://[::1]:8080/');
  });
});

describe('Redis Sentinel', () => {
  const NAME = { MREG_REDIS_SENTINEL_NAME: 'mymaster' };

  it('is off by default', () => {
    expect(parseSettings({}).redisSentinel).toBeUndefined();
    expect(parseSettings({ MREG_REDIS_URL: 'redis://cache:6379' }).redisSentinel).toBeUndefined();
  });

  it('takes host:port entries, IPv6 in brackets, with the master group name and an optional password', () => {
    const s = parseSettings({
      MREG_REDIS_SENTINELS: ' sentinel-1.internal:26379, 10.0.0.12:26380 ,[::1]:26381,[fd00::7]:5000,',
      ...NAME,
      MREG_REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
    });
    expect(s.redisSentinel).toEqual({
      sentinels: [
        { host: 'sentinel-1.internal', port: 26379 },
        { host: '10.0.0.12', port: 26380 },
        { host: '::1', port: 26381 },
        { host: 'fd00::7', port: 5000 },
      ],
      name: 'mymaster',
      password: 'sentinel-secret',
    });
    expect(s.redisUrl).toBeUndefined();
    expect(parseSettings({ MREG_REDIS_SENTINELS: 'localhost:26379', ...NAME }).redisSentinel?.password).toBeUndefined();
  });

  it('names each bad entry', () => {
    const rule = 'not host:port; list the sentinels as host:port (an IPv6 address in brackets: [::1]:26379) separated by commas';
    expect(problems({ MREG_REDIS_SENTINELS: 'a:26379,b,::1:26379,c:0,d:65536,[::1]:x,e_f:1', ...NAME })).toEqual([
      `MREG_REDIS_SENTINELS: "b", "::1:26379", "c:0", "d:65536", "[::1]:x", "e_f:1": ${rule}`,
    ]);
    expect(problems({ MREG_REDIS_SENTINELS: 'redis://a:26379', ...NAME })).toEqual([`MREG_REDIS_SENTINELS: "redis://a:26379": ${rule}`]);
    expect(problems({ MREG_REDIS_SENTINELS: ' , ', ...NAME })).toEqual(['MREG_REDIS_SENTINELS: lists no sentinel; list them as host:port separated by commas']);
    expect(problems({ MREG_REDIS_SENTINELS: 'a:1', MREG_REDIS_SENTINEL_NAME: 'my master' })).toEqual([
      'MREG_REDIS_SENTINEL_NAME: "my master" must be 1 to 64 letters, digits, ., _ or -',
    ]);
  });

  it('needs the sentinels and the master group name together, naming the one missing', () => {
    expect(problems({ MREG_REDIS_SENTINELS: 'a:26379' })).toEqual([
      'MREG_REDIS_SENTINEL_NAME: missing; MREG_REDIS_SENTINELS needs the name of the master group the sentinels watch (their `sentinel monitor <name> ...`), e.g. mymaster',
    ]);
    expect(problems(NAME)).toEqual([
      'MREG_REDIS_SENTINELS: missing; MREG_REDIS_SENTINEL_NAME is used only with the sentinels, listed as host:port separated by commas',
    ]);
    expect(problems({ ...NAME, MREG_REDIS_SENTINEL_PASSWORD: 'x' })).toEqual([
      'MREG_REDIS_SENTINELS: missing; MREG_REDIS_SENTINEL_NAME and MREG_REDIS_SENTINEL_PASSWORD are used only with the sentinels, listed as host:port separated by commas',
    ]);
  });

  it('takes MREG_REDIS_URL beside them for the data nodes (password, database, TLS), and never echoes the sentinel password', () => {
    const s = parseSettings({ MREG_REDIS_URL: 'rediss://:data-secret@unused:6379/2', MREG_REDIS_SENTINELS: 'a:26379', ...NAME });
    expect(s.redisUrl).toBe('rediss://:data-secret@unused:6379/2');
    expect(s.redisSentinel?.name).toBe('mymaster');
    expect(problems({ MREG_REDIS_SENTINEL_PASSWORD: 'p'.repeat(501) }).join()).not.toContain('ppp');
  });
});

describe('the development sign-in', () => {
  const ENTRA = {
    MREG_AZURE_TENANT_ID: '11111111-2222-4333-8444-555555555555',
    MREG_AZURE_CLIENT_ID: 'client-1',
    MREG_AZURE_CLIENT_SECRET: 's3cret',
  };
  const REMEDY =
    'configure Entra ID (MREG_AZURE_TENANT_ID, MREG_AZURE_CLIENT_ID and MREG_AZURE_CLIENT_SECRET), or set MREG_DEV_SIGN_IN=true to serve the development sign-in anyway (anyone who reaches MREG can then sign in as any demo user, admins included)';

  it('is served on loopback without being asked for, and without a banner', () => {
    for (const env of [{}, { MREG_PUBLIC_URL: 'http://localhost:8000' }, { MREG_HOST: '::1', MREG_PUBLIC_URL: 'http://[::1]:8000' }]) {
      const s = parseSettings(env);
      expect(s.features.offered).toMatchObject({ signIn: 'development', devSignInOpen: false });
      expect(s.devSignIn).toBe('loopback');
    }
  });

  it('refuses to start behind a public address, naming the settings that would allow it', () => {
    expect(problems({ MREG_PUBLIC_URL: 'https://mreg.example.com', MREG_TRUST_PROXY: '1' })).toEqual([
      `MREG_PUBLIC_URL: https://mreg.example.com is not a loopback address, and without Entra ID MREG would serve its development sign-in there; ${REMEDY}`,
    ]);
    expect(problems({ MREG_HOST: '0.0.0.0' })).toEqual([
      `MREG_HOST: 0.0.0.0 listens beyond loopback, and without Entra ID MREG would serve its development sign-in there; ${REMEDY}`,
    ]);
    expect(problems({ MREG_ENV: 'test', MREG_HOST: '192.0.2.10', MREG_PUBLIC_URL: 'http://127.0.0.1:8000' })).toEqual([
      `MREG_HOST: 192.0.2.10 listens beyond loopback, and without Entra ID MREG would serve its development sign-in there; ${REMEDY}`,
    ]);
    // A proxy on this machine in front of a loopback MREG still brings everyone to it.
    expect(problems({ MREG_TRUST_PROXY: '1' })).toEqual([
      `MREG_TRUST_PROXY: 1 says a proxy stands in front of MREG, and without Entra ID MREG would serve its development sign-in to whoever reaches that proxy; ${REMEDY}`,
    ]);
  });

  it('is served beyond loopback when MREG_DEV_SIGN_IN=true says so, with a banner', () => {
    const s = parseSettings({ MREG_PUBLIC_URL: 'https://demo.example.com', MREG_HOST: '0.0.0.0', MREG_DEV_SIGN_IN: 'true' });
    expect(s.devSignIn).toBe('open');
    expect(s.features.offered).toMatchObject({ signIn: 'development', devSignInOpen: true });
  });

  it('is never served in production, and MREG_DEV_SIGN_IN is ignored with a warning beside Entra ID', () => {
    expect(problems({ MREG_ENV: 'production', MREG_DEV_SIGN_IN: 'true', MREG_SECRET_KEY: SECRET_KEY, ...ENTRA })).toEqual([
      'MREG_DEV_SIGN_IN: true is refused in production; production signs people in with Entra ID only',
    ]);
    const s = parseSettings({ MREG_DEV_SIGN_IN: 'true', MREG_PUBLIC_URL: 'https://mreg.example.com', ...ENTRA });
    expect(s.devSignIn).toBeNull();
    expect(s.features.offered).toMatchObject({ signIn: 'entra-id', devSignInOpen: false });
    expect(s.warnings).toEqual(['MREG_DEV_SIGN_IN: ignored, since Entra ID is configured (the development sign-in is not served)']);
  });

  it('leaves a bad public URL to its own message', () => {
    expect(problems({ MREG_PUBLIC_URL: 'ftp://mreg.example.com' })).toEqual([
      'MREG_PUBLIC_URL: "ftp://mreg.example.com" is not a URL starting with http:// or https://',
    ]);
  });
});

describe('production', () => {
  const PRODUCTION = {
    MREG_ENV: 'production',
    MREG_SECRET_KEY: SECRET_KEY,
    MREG_AZURE_TENANT_ID: '11111111-2222-4333-8444-555555555555',
    MREG_AZURE_CLIENT_ID: 'client-1',
    MREG_AZURE_CLIENT_SECRET: 's3cret',
  };

  it('refuses a plain http public URL unless it is loopback', () => {
    expect(problems({ ...PRODUCTION, MREG_PUBLIC_URL: 'http://mreg.example.com' })).toEqual([
      'MREG_PUBLIC_URL: http://mreg.example.com is plain http; production needs https (cookies get the Secure flag and HSTS is sent only then), unless the address is loopback',
    ]);
    expect(problems({ ...PRODUCTION, MREG_PUBLIC_URL: 'http://10.1.2.3:8000' })).toHaveLength(1);
    expect(parseSettings({ ...PRODUCTION, MREG_PUBLIC_URL: 'https://mreg.example.com' }).publicUrl.href).toBe('https://mreg.example.com/');
    expect(parseSettings({ ...PRODUCTION, MREG_PUBLIC_URL: 'http://127.0.0.1:8000' }).publicUrl.href).toBe('http://127.0.0.1:8000/');
    expect(parseSettings({ ...PRODUCTION, MREG_PUBLIC_URL: 'http://localhost:8000' }).publicUrl.href).toBe('http://localhost:8000/');
    // A loopback address is no excuse for plain http on every interface.
    expect(problems({ ...PRODUCTION, MREG_PUBLIC_URL: 'http://127.0.0.1:8000', MREG_HOST: '0.0.0.0' })).toEqual([
      'MREG_PUBLIC_URL: http://127.0.0.1:8000 is plain http on loopback, but MREG_HOST 0.0.0.0 listens beyond it; production beyond loopback needs an https address',
    ]);
  });

  it('needs the public URL said when it listens beyond loopback', () => {
    expect(problems({ ...PRODUCTION, MREG_HOST: '0.0.0.0' })).toEqual([
      'MREG_PUBLIC_URL: missing; production listening on 0.0.0.0 needs the https address people use (e.g. https://mreg.example.com)',
    ]);
    expect(parseSettings(PRODUCTION).publicUrl.href).toBe('http://127.0.0.1:8000/');
  });
});

describe('readEnvironment', () => {
  it('reads .env and lets the real environment win', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mreg-env-'));
    const file = join(dir, '.env');
    writeFileSync(file, '# comment\nMREG_PORT=9100\nMREG_LOG_LEVEL=debug\nMREG_FASTMCP_PROFILE_CACHE_TTL="60"\n');
    const env = readEnvironment({ MREG_PORT: '9200' }, file);
    expect(env).toMatchObject({ MREG_PORT: '9200', MREG_LOG_LEVEL: 'debug', MREG_FASTMCP_PROFILE_CACHE_TTL: '60' });
    expect(parseSettings(env).port).toBe(9200);
  });

  it('works without a .env file', () => {
    expect(readEnvironment({ MREG_PORT: '1' }, '/nonexistent/.env')).toEqual({ MREG_PORT: '1' });
  });
});

describe('.env.example', () => {
  it('lists every server variable, in the order of the schema', () => {
    const example = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8');
    const listed = [...example.matchAll(/^# (MREG_[A-Z0-9_]+)=/gm)]
      .map((m) => m[1])
      .filter((name) => !name!.startsWith('MREG_TEST_') && !name!.startsWith('MREG_BENCH_'));
    expect(listed).toEqual(SETTINGS_VARIABLES);
  });
});
