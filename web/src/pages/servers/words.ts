import type { DiscoveryOutcome, Server, ServerAuth, ServerStatus } from '@mreg/shared';
import { useMemo } from 'react';
import { i18n } from '../../i18n';
import { useLanguage } from '../../prefs/usePreferences';

/**
 * How the registry's pages say things: statuses, credentials and discovery outcomes in words, in the
 * app's language at the time of the call. Numbers take the person's `locale` where the caller knows
 * it (useLanguage); without it they follow the app's language.
 */

const t = i18n.getFixedT(null, 'servers');

export const statusLabel = (status: ServerStatus) => t(`status.${status}`);

/** What each status means, for the badge's tooltip and the server page. */
export const statusMeaning = (status: ServerStatus) => t(`statusMeaning.${status}`);

/** "None", "A bearer token (saved, not shown)", "The header X-Api-Key (its value saved, not shown)". */
export function describeAuth(auth: ServerAuth): string {
  switch (auth.kind) {
    case 'none':
      return t('auth.none');
    case 'bearer':
      return t('auth.bearer');
    case 'header':
      return t('auth.header', { name: auth.name });
  }
}

/** Text that more words follow, ended as a sentence: the upstream module's errors come without a full stop. */
export const asSentence = (text: string) => (/[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);

/** "42 ms", "1.3 s" ("1,3 s" in German). */
export const duration = (ms: number, locale?: string) =>
  ms < 1000 ? t('duration.ms', { ms, locale }) : t('duration.seconds', { seconds: ms / 1000, locale });

/** A number in the person's locale: "1,234", "1.234", "1’234". */
export const formatNumber = (n: number, locale?: string) => new Intl.NumberFormat(locale ?? i18n.resolvedLanguage).format(n);

/** Numbers as the person reads them, for components: the formatter of their locale. */
export function useNumber(): (n: number) => string {
  const { locale } = useLanguage();
  return useMemo(() => {
    const format = new Intl.NumberFormat(locale);
    return (n: number) => format.format(n);
  }, [locale]);
}

/** The tool count as a list shows it: "13", or a dash before the first discovery. */
export const toolCountText = (server: Pick<Server, 'toolCount'>, locale?: string) =>
  server.toolCount === null ? '—' : formatNumber(server.toolCount, locale);

/**
 * How a discovery went, after a save or a refresh: "Found 13 tools in 42 ms." or why it could not be
 * reached, with the reassurance that the server itself is saved.
 */
export function discoverySentence(outcome: DiscoveryOutcome, locale?: string): string {
  return outcome.ok
    ? t('discovery.found', { tools: t('count.tools', { count: outcome.toolCount, locale }), duration: duration(outcome.latencyMs, locale) })
    : t('discovery.unreachable', { error: asSentence(outcome.error) });
}
