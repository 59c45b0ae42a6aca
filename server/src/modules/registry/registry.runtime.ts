import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Settings } from '../../config';
import type { Clock } from '../../lib/clock';
import type { Metrics } from '../../metrics/metrics';
import { secretBox, type SecretBox } from '../../lib/secrets';
import { McpServer } from './registry.entity';
import { enabledServers, markCatalogueStale, recordCheck, startHealthLoop, type CheckResult, type HealthLoop } from './registry.health';
import { discoverAndRecord, UnreadableSecretError, upstreamOf, type RegistryRuntime } from './registry.service';
import { ping, UPSTREAM_POLICY_DEFAULTS, watchListChanges } from './upstream';

/** Logged when a watcher hears list_changed, or is connected again: the server is discovered at once. */
export const LISTS_CHANGED = 'An MCP server says its lists changed (or was reached again); discovering it again';

/** The registry's policy and secrets from the settings: the upstream bounds are fixed (upstream/policy.ts). */
export function createRegistryRuntime(settings: Settings, secrets: SecretBox, metrics?: Pick<Metrics, 'registryCheck'>): RegistryRuntime {
  return {
    policy: { ...UPSTREAM_POLICY_DEFAULTS, allowPrivate: settings.registry.allowPrivate, allowedHosts: settings.registry.allowedHosts },
    secrets,
    unhealthyAfter: settings.registry.unhealthyAfter,
    // Until startRegistryService follows the servers, there is nothing to tell.
    serversChanged: () => {},
    observeCheck: (serverId, kind, ok, seconds) => metrics?.registryCheck(serverId, kind, ok, seconds),
  };
}

/** A runtime with a key of its own, for callers that never read a stored secret back (createCaller in tests). */
export function ephemeralRegistryRuntime(settings: Settings): RegistryRuntime {
  return createRegistryRuntime(settings, secretBox(randomBytes(32)));
}

export interface RegistryService {
  health: HealthLoop;
  stop(): Promise<void>;
}

/** How often this instance looks at which enabled servers it should watch for list_changed. */
const WATCH_SYNC_MS = 30_000;

/**
 * The registry's background work on this instance: the health loop (each check once per interval
 * across instances, health.ts), and a listening connection to each enabled server that turns its
 * list_changed notifications into a discovery at the next tick of any instance.
 */
export function startRegistryService(options: { em: EntityManager; runtime: RegistryRuntime; settings: Settings; clock: Clock; logger: Logger }): RegistryService {
  const { em: rootEm, runtime, settings, clock } = options;
  const log = options.logger.child({ component: 'registry' });

  const check = async (serverId: string, kind: 'ping' | 'discover'): Promise<CheckResult> => {
    const em = rootEm.fork();
    const server = await em.findOne(McpServer, { id: serverId });
    if (!server || !server.enabled) return { ok: true, latencyMs: 0 };
    if (kind === 'discover') {
      const outcome = await discoverAndRecord({ em, registry: runtime, clock }, server);
      return outcome.ok ? { ok: true, latencyMs: outcome.latencyMs } : outcome;
    }
    const started = performance.now();
    let result: CheckResult;
    try {
      result = await ping(await upstreamOf(em, runtime, server), runtime.policy);
    } catch (error) {
      if (!(error instanceof UnreadableSecretError)) throw error;
      result = { ok: false, error: error.message };
    }
    runtime.observeCheck(serverId, 'ping', result.ok, (performance.now() - started) / 1000);
    await recordCheck(em, serverId, result, { now: clock(), unhealthyAfter: runtime.unhealthyAfter });
    return result;
  };

  const health = startHealthLoop({
    em: rootEm,
    clock,
    logger: options.logger,
    intervalMs: settings.registry.healthIntervalMs,
    catalogueTtlMs: settings.registry.catalogueTtlMs,
    unhealthyAfter: runtime.unhealthyAfter,
    check,
  });

  // serverId -> the watcher and the version of the server it watches (its updatedAt).
  const watchers = new Map<string, { version: number; close(): Promise<void> }>();
  const syncWatchers = async () => {
    const em = rootEm.fork();
    const servers = await enabledServers(em);
    const wanted = new Map(servers.map((server) => [server.id, server]));
    for (const [id, watcher] of watchers) {
      const server = wanted.get(id);
      if (!server || server.updatedAt.getTime() !== watcher.version) {
        watchers.delete(id);
        await watcher.close();
      }
    }
    for (const server of servers) {
      if (watchers.has(server.id) || stopped) continue;
      const full = await em.findOne(McpServer, { id: server.id });
      if (!full) continue;
      let target;
      try {
        target = await upstreamOf(em, runtime, full);
      } catch (error) {
        // One server's unreadable credential leaves the others followed; its checks say why.
        if (error instanceof UnreadableSecretError) continue;
        throw error;
      }
      const watcher = watchListChanges(
        target,
        runtime.policy,
        () => {
          log.info({ serverId: server.id }, LISTS_CHANGED);
          markCatalogueStale(rootEm.fork(), server.id, clock())
            .then(() => health.kick())
            .catch((error: unknown) => log.error({ err: error, serverId: server.id }, 'Could not discover a changed server'));
        },
        // The words are the upstream module's, without the credential.
        { onError: (words) => log.debug({ serverId: server.id, error: words }, 'Not following an MCP server for list_changed; trying again later') },
      );
      watchers.set(server.id, { version: server.updatedAt.getTime(), close: () => watcher.close() });
    }
  };
  // One sync at a time; a change while one runs asks for another after it.
  let syncing: Promise<void> | undefined;
  let again = false;
  const sync = (): void => {
    if (syncing) {
      again = true;
      return;
    }
    syncing = syncWatchers()
      .catch((error: unknown) => log.error({ err: error }, 'Could not follow the registered servers for list_changed'))
      .finally(() => {
        syncing = undefined;
        if (again && !stopped) {
          again = false;
          sync();
        }
      });
  };
  let stopped = false;
  sync();
  runtime.serversChanged = sync;
  const timer = setInterval(sync, WATCH_SYNC_MS);
  timer.unref();

  return {
    health,
    async stop() {
      stopped = true;
      runtime.serversChanged = () => {};
      clearInterval(timer);
      while (syncing) await syncing;
      // Watchers first: a list_changed heard now must not start another round.
      await Promise.all([...watchers.values()].map((watcher) => watcher.close()));
      watchers.clear();
      await health.stop();
    },
  };
}
