/**
 * A problem with an upstream, already in words a tenant admin understands. Thrown inside this
 * module only; the public functions answer `{ ok: false, error }` instead.
 */
export class UpstreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamError';
  }
}

/** 4194304 -> "4 MiB", 1536 -> "1.5 KiB", 20 -> "20 bytes". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(1).replace(/\.0$/, '');
  return `${shown} ${units[unit]}`;
}

/** 10000 -> "10 s", 2500 -> "2.5 s", 300 -> "300 ms". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1).replace(/\.0$/, '')} s`;
}

/** "host:port" of a URL, IPv6 in brackets, the scheme's port when none is written. */
export function hostPort(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

/**
 * `text` with every secret (and its URL-encoded form) replaced, whatever the case (a host name
 * comes back lowercased): the last guard, since an upstream may echo a credential in its answers.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) {
      out = out.replace(new RegExp(form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), '[redacted]');
    }
  }
  return out;
}

/**
 * An upstream's own text, to quote inside MREG's words: secrets redacted first (cutting short
 * could leave half a secret that no later redaction finds), then on one line and cut short.
 */
export function quote(text: string, secrets: readonly string[], max = 200): string {
  const line = redact(text, secrets).replace(/\p{Cc}+/gu, ' ').trim();
  return JSON.stringify(line.length > max ? `${line.slice(0, max)}...` : line);
}
