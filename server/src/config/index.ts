import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { problemsBetween, toSettings, ZEnv, type Env, type Settings } from './schema';

export { MULTI_TENANT_AUTHORITIES, SETTINGS_VARIABLES, type Settings } from './schema';
export { FEATURE_SWITCHES, type FeatureSet, type FeatureSwitch } from './features';

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

export function parseSettings(raw: Record<string, string | undefined>, cwd = process.cwd()): Settings {
  const input = Object.fromEntries(
    Object.entries(raw).filter(([key, value]) => key.startsWith('MREG_') && value !== undefined && value !== ''),
  );
  // Each variable on its own, so that every problem is reported at once, the cross-variable
  // ones included.
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(ZEnv.shape)) {
    const result = schema.safeParse(input[key]);
    if (result.success) values[key] = result.data;
    else problems.push(...result.error.issues.map((issue) => `${key}: ${issue.message}`));
  }
  problems.push(...problemsBetween(values as Partial<Env>, input));
  if (problems.length > 0) throw new ConfigError(problems);
  return toSettings(values as Env, input, cwd);
}

/** Settings for this process: the environment over `.env`, or the reasons it cannot start. */
export function loadSettings(): Settings {
  return parseSettings(readEnvironment());
}
