import { useEffect } from 'react';
import { i18n } from '../i18n';

/**
 * Unsaved edits are not dropped without asking: closing or reloading the tab gets the browser's own
 * question (beforeunload), and leaving the page inside the app (a link, Back, a tenant switch, sign
 * out) gets a confirm in the app's language. One set of listeners serves every form with edits.
 */
const editing = new Set<symbol>();
/** The address of the page with the edits, to go back to when the person stays after Back. */
let editedAt = '';

/**
 * True when no form holds edits, or the person agrees to lose them. Agreed, the edits count as given
 * up: a full load that follows (sign-out, a link out of the app) does not ask a second time.
 */
export function confirmLeave(): boolean {
  if (editing.size === 0) return true;
  if (!window.confirm(i18n.t('unsaved.leave'))) return false;
  editing.clear();
  return true;
}

const here = () => `${location.pathname}${location.search}`;

function onBeforeUnload(event: BeforeUnloadEvent) {
  event.preventDefault();
  // Older Chromium asks only when returnValue is set.
  event.returnValue = '';
}

/** Before the router sees the click (capture, on document): a link to another page of this site. */
function onClick(event: MouseEvent) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = (event.target as Element | null)?.closest?.('a[href]');
  if (!(link instanceof HTMLAnchorElement) || (link.target && link.target !== '_self') || link.hasAttribute('download')) return;
  const url = new URL(link.href, location.href);
  if (url.origin === location.origin && `${url.pathname}${url.search}` === here()) return;
  if (confirmLeave()) return;
  event.preventDefault();
  event.stopPropagation();
}

/**
 * Back or Forward: the address has changed already. Capture listeners at the target run before the
 * router's own, so a person who stays keeps the page (the router never hears of it) and the address
 * of the page is put back.
 */
function onPopState(event: PopStateEvent) {
  if (confirmLeave()) return;
  event.stopImmediatePropagation();
  history.pushState(history.state, '', editedAt);
}

/**
 * Installed once, before the router subscribes (main.tsx imports this first): listeners at the same
 * target run in the order they were added, and the router's, leaving the page, would unmount the
 * form and take a later listener with it.
 */
export function watchUnsavedChanges(): void {
  window.addEventListener('beforeunload', (event) => editing.size > 0 && onBeforeUnload(event));
  document.addEventListener('click', (event) => editing.size > 0 && onClick(event), true);
  window.addEventListener('popstate', (event) => editing.size > 0 && onPopState(event), true);
}

/** Marks the calling form as holding edits while `dirty`. */
export function useUnsavedChanges(dirty: boolean): void {
  useEffect(() => {
    if (!dirty) return;
    const form = Symbol('edits');
    editing.add(form);
    editedAt = here();
    return () => {
      editing.delete(form);
    };
  }, [dirty]);
}
