import { useEffect, useRef } from 'react';

/**
 * After an action removes the element that had the focus (a row's button, say), focus goes to
 * `target` once `version` (the list's dataUpdatedAt) changes, instead of falling to the page's top;
 * unless the person has already moved it somewhere else (into the next dialog, say).
 * Call `expectRefocus()` just before the change.
 */
export function useRefocus<T extends HTMLElement>(version: unknown) {
  const target = useRef<T>(null);
  const pending = useRef(false);
  useEffect(() => {
    if (!pending.current) return;
    pending.current = false;
    if (document.activeElement === null || document.activeElement === document.body) target.current?.focus();
  }, [version]);
  return { target, expectRefocus: () => void (pending.current = true) };
}
