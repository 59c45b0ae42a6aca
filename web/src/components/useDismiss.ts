import { useEffect, type RefObject } from 'react';

/**
 * Closes an open disclosure (a menu under its button) the way people expect: Escape closes it and
 * puts the focus back on its button; a click outside `root` closes it where the click went.
 */
export function useDismiss(open: boolean, close: () => void, root: RefObject<HTMLElement | null>, button: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      close();
      button.current?.focus();
    };
    const onPointer = (event: MouseEvent) => {
      if (!root.current?.contains(event.target as Node)) close();
    };
    document.addEventListener('mousedown', onPointer);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onPointer);
      document.removeEventListener('keydown', onKey);
    };
  }, [open, close, root, button]);
}

/** Tabbing out of an open disclosure closes it, as a click elsewhere does: the container's onBlur. */
export const closeOnFocusOut = (close: () => void) => (event: React.FocusEvent<HTMLElement>) => {
  if (!event.currentTarget.contains(event.relatedTarget as Node | null)) close();
};
