import { useEffect, useState } from 'react';
import type { DiscoveryOutcome } from '@mreg/shared';

/**
 * What one registry page tells the next after an action, through the history entry's state (wouter's
 * navigate `state`): the form tells the server's page how discovery went, a delete tells the list.
 */
export type SavedFlash =
  | { kind: 'created' | 'updated'; name: string; discovery: DiscoveryOutcome; discovered: boolean }
  | { kind: 'unchanged'; name: string };

export interface ArrivalState {
  saved?: SavedFlash;
  /** The name of the server just deleted. */
  removed?: string;
}

/** The state this page was reached with, read once and then taken away, so that a reload does not say it again. */
export function useArrivalState(): ArrivalState {
  const [state] = useState<ArrivalState>(() => (window.history.state as ArrivalState | null) ?? {});
  useEffect(() => {
    if (state.saved || state.removed) window.history.replaceState(null, '');
  }, [state]);
  return state;
}
