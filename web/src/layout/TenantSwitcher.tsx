import { useCallback, useId, useRef, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useLocation } from 'wouter';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { closeOnFocusOut, useDismiss } from '../components/useDismiss';
import { confirmLeave } from '../components/useUnsavedChanges';
import { useRoleName } from '../roles';
import { errorMessage, useTRPC } from '../trpc';

/**
 * The active tenant, and for people with several memberships a menu of the others: choosing one
 * switches at once (one action) and lands on the dashboard, a page the person can use in any
 * tenant, rather than leaving them on a page the new role may not open. With one membership (or
 * tenant switching off) it is just the tenant's name and role.
 */
export function TenantSwitcher() {
  const auth = useEnhancedAuth();
  const trpc = useTRPC();
  const { t } = useTranslation();
  const roleName = useRoleName();
  const [, navigate] = useLocation();
  const menuId = useId();
  const enabled = auth.features?.tenantSwitching === true;
  const tenants = useQuery(trpc.auth.tenants.queryOptions(undefined, { enabled }));
  const [open, setOpen] = useState(false);
  const [switching, setSwitching] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const close = useCallback(() => setOpen(false), []);
  useDismiss(open, close, root, button);
  const context = auth.tenantContext;

  const label = context ? t('tenant.label', { tenant: context.tenantName, role: roleName(context.role) }) : t('tenant.none');
  if (!enabled || !tenants.data || tenants.data.length < 2) {
    return (
      <p className="tenant" data-testid="active-tenant">
        {label}
      </p>
    );
  }

  const switchTo = (tenantId: string, tenantName: string) => {
    // A switch starts every page afresh: unsaved edits would go with it.
    if (!confirmLeave()) return;
    setSwitching(tenantId);
    setFailure(null);
    // Switched, the app starts afresh for the new tenant on its dashboard, whose heading takes the
    // focus; refused, the focus comes back to the button, beside the reason.
    auth
      .switchTenant(tenantId)
      .then(() => {
        setOpen(false);
        navigate('/dashboard');
      })
      .catch((error: unknown) => {
        setFailure(t('tenant.switchFailed', { tenant: tenantName, reason: errorMessage(error) }));
        setOpen(false);
        button.current?.focus();
      })
      .finally(() => setSwitching(null));
  };

  return (
    <div className="tenant tenant-switcher" ref={root} onBlur={closeOnFocusOut(close)}>
      <button
        ref={button}
        type="button"
        className="tenant-button"
        aria-label={t('tenant.button', { label })}
        aria-expanded={open}
        aria-controls={menuId}
        aria-busy={switching !== null}
        data-testid="active-tenant"
        onClick={() => setOpen(!open)}
      >
        {/* The same words as the label (the role drops out of sight on a phone); the ▾ is the stylesheet's. */}
        <span className="tenant-name">{context?.tenantName ?? t('tenant.none')}</span>
        {context && <span className="tenant-role">{t('tenant.roleSuffix', { role: roleName(context.role) })}</span>}
      </button>
      <div id={menuId} className="menu menu-start" hidden={!open}>
        <p className="menu-who muted">{t('tenant.menuTitle')}</p>
        <ul>
          {tenants.data.map((m) => (
            <li key={m.tenantId}>
              <button
                type="button"
                aria-current={m.isActiveTenant ? 'true' : undefined}
                disabled={switching !== null}
                onClick={() => (m.isActiveTenant ? setOpen(false) : switchTo(m.tenantId, m.tenantName))}
              >
                {t('tenant.label', { tenant: m.tenantName, role: roleName(m.role) })}
                {m.isActiveTenant && <span className="visually-hidden"> {t('tenant.current')}</span>}
                {switching === m.tenantId && <span aria-hidden="true"> …</span>}
              </button>
            </li>
          ))}
        </ul>
      </div>
      {failure && (
        <p role="alert" className="field-error">
          {failure}
        </p>
      )}
    </div>
  );
}
