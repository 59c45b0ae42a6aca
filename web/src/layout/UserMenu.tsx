import { useCallback, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { Avatar } from '../components/Avatar';
import { closeOnFocusOut, useDismiss } from '../components/useDismiss';
import { confirmLeave } from '../components/useUnsavedChanges';
import { errorMessage } from '../trpc';
import type { NavItem } from './nav';

/**
 * The signed-in person's menu: their pages and Sign out. A disclosure button: Enter or Space opens
 * it, Escape or a click elsewhere closes it and focus goes back to the button.
 */
export function UserMenu({ items }: { items: NavItem[] }) {
  const auth = useEnhancedAuth();
  const [open, setOpen] = useState(false);
  const [leaving, setLeaving] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const menuId = useId();
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const { t } = useTranslation();
  const close = useCallback(() => setOpen(false), []);
  useDismiss(open, close, root, button);

  if (!auth.user) return null;
  const name = auth.userProfile?.displayName ?? auth.user.name;
  return (
    <div
      className="user-menu"
      ref={root}
      onBlur={closeOnFocusOut(close)}
    >
      {/* The initials and the ▾ are the stylesheet's: what is seen ("Ada Lovelace") is part of the name a voice user says. */}
      <button ref={button} type="button" className="user-button" aria-label={t('userMenu.account', { name })} aria-expanded={open} aria-controls={menuId} onClick={() => setOpen(!open)}>
        <Avatar name={name} url={auth.userProfile?.avatarUrl ?? null} />
        <span className="user-name">{name}</span>
      </button>
      <div id={menuId} className="menu" hidden={!open}>
        <p className="menu-who">
          <strong>{name}</strong>
          <br />
          <span className="muted">{auth.user.email}</span>
        </p>
        <ul>
          {items
            .filter((item) => item.path !== '/dashboard')
            .map((item) => (
              <li key={item.path}>
                <Link href={item.path} onClick={() => setOpen(false)}>
                  {item.label}
                </Link>
              </li>
            ))}
          <li>
            <button
              type="button"
              disabled={leaving}
              onClick={() => {
                if (!confirmLeave()) return;
                setLeaving(true);
                setFailure(null);
                auth.logout().catch((error: unknown) => {
                  setFailure(t('userMenu.signOutFailed', { reason: errorMessage(error) }));
                  setLeaving(false);
                });
              }}
            >
              {leaving ? t('userMenu.signingOut') : t('userMenu.signOut')}
            </button>
          </li>
        </ul>
        {failure && (
          <p role="alert" className="field-error">
            {failure}
          </p>
        )}
      </div>
    </div>
  );
}
