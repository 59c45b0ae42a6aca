import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, quote, redact } from './words';

describe('words', () => {
  it('names sizes and durations as people read them', () => {
    expect(formatBytes(4 * 1024 * 1024)).toBe('4 MiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(20)).toBe('20 bytes');
    expect(formatDuration(10_000)).toBe('10 s');
    expect(formatDuration(2500)).toBe('2.5 s');
    expect(formatDuration(300)).toBe('300 ms');
  });

  it('redacts a secret in any case, and its URL-encoded form, even with regex characters', () => {
    const secret = 'Ab+c/d$(x)';
    const text = `got ${secret}, ${secret.toLowerCase()} and ${encodeURIComponent(secret)}`;
    expect(redact(text, [secret])).toBe('got [redacted], [redacted] and [redacted]');
    expect(redact('nothing here', ['', 'zz'])).toBe('nothing here');
  });

  it('quotes upstream text on one line, cut short, never cutting a secret in half', () => {
    const secret = 'sk live 0123456789';
    const text = `${'x'.repeat(190)}\n${secret} tail`;
    const quoted = quote(text, [secret], 200);
    expect(quoted).toBe(JSON.stringify(`${'x'.repeat(190)} [redacted...`));
    expect(quoted).not.toContain('sk live');
  });
});
