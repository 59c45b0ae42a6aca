import Bowser from 'bowser';

const major = (version: string | undefined) => version?.split('.')[0] ?? '';
/** Versions that name a release people know; macOS is left out, browsers freeze it at 10.15. */
const OS_VERSIONS: Record<string, (os: Bowser.Parser.OSDetails) => string | undefined> = {
  Windows: (os) => os.versionName,
  iOS: (os) => major(os.version),
  Android: (os) => major(os.version),
};

/**
 * A session's device in words from its User-Agent: "Chrome 131 on Windows 10", "Safari 17 on iOS 17
 * (mobile)"; for a client that is no browser, the product token ("curl/8.5.0").
 */
export function describeDevice(userAgent: string | null): string {
  if (!userAgent?.trim()) return 'Unknown device';
  const { browser, os, platform } = Bowser.parse(userAgent);
  if (!browser.name) return userAgent.trim().split(/\s/)[0]!.slice(0, 60);
  const osVersion = os.name ? OS_VERSIONS[os.name]?.(os) : undefined;
  const system = os.name ? ` on ${[os.name, osVersion].filter(Boolean).join(' ')}` : '';
  const kind = platform.type === 'mobile' || platform.type === 'tablet' ? ` (${platform.type})` : '';
  return `${[browser.name, major(browser.version)].filter(Boolean).join(' ')}${system}${kind}`;
}
