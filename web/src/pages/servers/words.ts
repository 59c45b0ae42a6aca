import type { DiscoveryOutcome, Server, ServerAuth, ServerStatus } from '@mreg/shared';
import { count } from '../../components/useNow';

/** How the registry's pages say things: statuses, credentials and discovery outcomes in words. */

export const STATUS_LABEL: Record<ServerStatus, string> = {
  healthy: 'Healthy',
  unhealthy: 'Unhealthy',
  unknown: 'Unknown',
  disabled: 'Disabled',
};

/** What each status means, for the badge's tooltip and the server page. */
export const STATUS_MEANING: Record<ServerStatus, string> = {
  healthy: 'It answered its last check.',
  unhealthy: 'It failed its last checks in a row.',
  unknown: 'Not checked successfully yet.',
  disabled: 'Switched off here: MREG does not check or discover it.',
};

/** "No authentication", "A bearer token (saved)", "The header X-Api-Key (saved)". */
export function describeAuth(auth: ServerAuth): string {
  switch (auth.kind) {
    case 'none':
      return 'None';
    case 'bearer':
      return 'A bearer token (saved, not shown)';
    case 'header':
      return `The header ${auth.name} (its value saved, not shown)`;
  }
}

/** Text that more words follow, ended as a sentence: the upstream module's errors come without a full stop. */
export const asSentence = (text: string) => (/[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);

/** "42 ms", "1.3 s". */
export const duration = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

/** The tool count as a list shows it: "13", or a dash before the first discovery. */
export const toolCountText = (server: Pick<Server, 'toolCount'>) => (server.toolCount === null ? '—' : String(server.toolCount));

/**
 * How a discovery went, after a save or a refresh: "Found 13 tools in 42 ms." or why it could not be
 * reached, with the reassurance that the server itself is saved.
 */
export function discoverySentence(outcome: DiscoveryOutcome): string {
  return outcome.ok
    ? `Found ${count(outcome.toolCount, 'tool')} in ${duration(outcome.latencyMs)}.`
    : `It could not be reached: ${asSentence(outcome.error)}`;
}
