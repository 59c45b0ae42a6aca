/**
 * The time as the server's rules see it (session expiry, renewal, idle timeout, clean-up). The app
 * takes one so that tests can move time forward instead of waiting for it.
 */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** A clock that stands still until told to move: for tests. */
export function manualClock(start = new Date()): Clock & { advance(ms: number): Date; set(at: Date): void } {
  let now = start.getTime();
  return Object.assign(() => new Date(now), {
    advance(ms: number) {
      now += ms;
      return new Date(now);
    },
    set(at: Date) {
      now = at.getTime();
    },
  });
}
