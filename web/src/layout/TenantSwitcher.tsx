import { useId, useRef, useState, type FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { errorMessage, useTRPC } from '../trpc';

/**
 * The active tenant, and a way to change it for people with several memberships. With one
 * membership (or tenant switching off) it is just the tenant's name and role. A switch changes
 * what the person may do, so it waits for the Switch button: arrowing through a closed select
 * changes its value at every key press.
 */
export function TenantSwitcher() {
  const auth = useEnhancedAuth();
  const trpc = useTRPC();
  const id = useId();
  const enabled = auth.features?.tenantSwitching === true;
  const tenants = useQuery(trpc.auth.tenants.queryOptions(undefined, { enabled }));
  const [choice, setChoice] = useState<string | null>(null);
  const [switching, setSwitching] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const select = useRef<HTMLSelectElement>(null);
  const context = auth.tenantContext;

  const label = context ? `${context.tenantName} · ${context.role}` : 'No active tenant';
  if (!enabled || !tenants.data || tenants.data.length < 2) {
    return (
      <p className="tenant" data-testid="active-tenant">
        {label}
      </p>
    );
  }
  const active = tenants.data.find((m) => m.isActiveTenant)?.tenantId ?? '';
  const chosen = choice ?? active;
  const target = tenants.data.find((m) => m.tenantId === chosen);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!target || chosen === active) return;
    setSwitching(true);
    setFailure(null);
    // Switched, the page starts afresh for the new tenant and its heading takes the focus; refused,
    // the focus comes back here, beside the reason.
    auth
      .switchTenant(chosen)
      .then(() => setChoice(null))
      .catch((error: unknown) => {
        setFailure(`Could not switch to ${target.tenantName}: ${errorMessage(error)}`);
        select.current?.focus();
      })
      .finally(() => setSwitching(false));
  };

  return (
    <form className="tenant tenant-switcher" onSubmit={submit}>
      <label htmlFor={id} className="visually-hidden">
        Active tenant
      </label>
      <select ref={select} id={id} value={chosen} aria-busy={switching} onChange={(event) => setChoice(event.target.value)}>
        {!active && <option value="">Choose a tenant</option>}
        {tenants.data.map((m) => (
          <option key={m.tenantId} value={m.tenantId}>
            {m.tenantName} · {m.role}
          </option>
        ))}
      </select>
      {target && chosen !== active && (
        <button type="submit" className="primary" disabled={switching}>
          {switching ? 'Switching…' : 'Switch'}
        </button>
      )}
      {failure && (
        <p role="alert" className="field-error">
          {failure}
        </p>
      )}
    </form>
  );
}
