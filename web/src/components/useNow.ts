import { useEffect, useState } from 'react';

/**
 * The time, moved on every `intervalMs`: "5 minutes ago" would otherwise stay "just now" for as long
 * as the page is open, and reading the clock during render is not allowed (renders must be pure).
 */
export function useNow(intervalMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** "1 session", "3 sessions". */
export const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
