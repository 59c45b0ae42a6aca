import { useId, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { errorMessage, useTRPC } from '../trpc';

/**
 * The active tenant, and a way to change it for people with several memberships. With one
 * membership (or tenant switching off) it is just the tenant's name and role.
 */
export function TenantSwitcher() {
  const auth = useEnhancedAuth();
  const trpc = useTRPC();
  const id = useId();
  const enabled = auth.features?.tenantSwitching === true;
  const tenants = useQuery(trpc.auth.tenants.queryOptions(undefined, { enabled }));
  const [switching, setSwitching] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
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
  return (
    <div className="tenant">
      <label htmlFor={id} className="visually-hidden">
        Active tenant
      </label>
      <select
        id={id}
        value={switching ?? active}
        disabled={switching !== null}
        aria-busy={switching !== null}
        onChange={(event) => {
          const tenantId = event.target.value;
          setSwitching(tenantId);
          setFailure(null);
          auth
            .switchTenant(tenantId)
            .catch((error: unknown) => setFailure(`Could not switch: ${errorMessage(error)}`))
            .finally(() => setSwitching(null));
        }}
      >
        {!active && <option value="">Choose a tenant</option>}
        {tenants.data.map((m) => (
          <option key={m.tenantId} value={m.tenantId}>
            {m.tenantName} · {m.role}
          </option>
        ))}
      </select>
      {failure && (
        <p role="alert" className="field-error">
          {failure}
        </p>
      )}
    </div>
  );
}
