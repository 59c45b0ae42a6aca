import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { closeOnFocusOut, useDismiss } from '../../components/useDismiss';

export interface MenuAction {
  key: string;
  label: string;
  onSelect: () => void;
  /** Shown, focusable and announced as unavailable (WAI-ARIA menu pattern), but does nothing. */
  disabled?: boolean;
  danger?: boolean;
}

interface RowMenuProps {
  /** The button's visible words ("Actions"). */
  text: string;
  /** Its accessible name, starting with `text` ("Actions for Uma Umarova"). */
  label: string;
  actions: MenuAction[];
  /** What says why some actions are unavailable, read with the button. */
  describedBy?: string;
  busy?: boolean;
}

/**
 * A button that opens a menu of a row's actions (WAI-ARIA menu button): the row keeps one button,
 * so it never changes width while something happens. Enter, Space or ArrowDown open it on the first
 * item, ArrowUp on the last; arrows, Home and End move; Escape closes it and focus goes back to the
 * button. A choice closes it and gives the button the focus before it runs, so that a dialog it
 * opens hands the focus back there.
 */
export function RowMenu({ text, label, actions, describedBy, busy }: RowMenuProps) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const items = useRef<(HTMLButtonElement | null)[]>([]);
  const [start, setStart] = useState<'first' | 'last'>('first');
  const buttonId = useId();
  const menuId = useId();

  const dismiss = useCallback(() => setOpen(false), []);
  // A click outside closes it (Escape is the menu's own key handling, which also moves the focus back).
  useDismiss(open, dismiss, root, button);
  useEffect(() => {
    if (open) items.current[start === 'first' ? 0 : actions.length - 1]?.focus();
  }, [open, start, actions.length]);

  const show = (from: 'first' | 'last') => {
    setStart(from);
    setOpen(true);
  };
  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  const move = (to: number) => items.current[(to + actions.length) % actions.length]?.focus();

  const onMenuKey = (event: KeyboardEvent) => {
    const at = items.current.indexOf(document.activeElement as HTMLButtonElement);
    const keys: Record<string, () => void> = {
      ArrowDown: () => move(at + 1),
      ArrowUp: () => move(at - 1),
      Home: () => move(0),
      End: () => move(actions.length - 1),
      Escape: close,
    };
    const action = keys[event.key];
    if (!action) return;
    event.preventDefault();
    event.stopPropagation();
    action();
  };

  return (
    <div
      className="row-menu"
      ref={root}
      onBlur={closeOnFocusOut(dismiss)}
    >
      <button
        ref={button}
        id={buttonId}
        type="button"
        aria-label={label}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        aria-describedby={describedBy}
        aria-busy={busy}
        onClick={() => (open ? setOpen(false) : show('first'))}
        onKeyDown={(event) => {
          if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
            event.preventDefault();
            show(event.key === 'ArrowDown' ? 'first' : 'last');
          }
        }}
      >
        {text}
      </button>
      {open && (
        <div id={menuId} role="menu" aria-labelledby={buttonId} className="row-menu-list" onKeyDown={onMenuKey}>
          {actions.map((action, index) => (
            <button
              key={action.key}
              ref={(node) => {
                items.current[index] = node;
              }}
              type="button"
              role="menuitem"
              tabIndex={-1}
              className={action.danger ? 'row-menu-danger' : undefined}
              aria-disabled={action.disabled || undefined}
              onClick={() => {
                if (action.disabled) return;
                close();
                action.onSelect();
              }}
            >
              {action.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
