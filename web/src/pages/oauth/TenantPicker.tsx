import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { OAuthConsent } from '@mreg/shared';
import { roleLabel, unavailableReason } from './words';

interface TenantPickerProps {
  consent: Pick<OAuthConsent, 'tenants' | 'resource'>;
  selected: string | null;
  onSelect: (tenantId: string) => void;
}

/**
 * The tenant the client will act in, as native radios: Tab reaches the checked one, the arrow keys
 * move between those that can be picked, and a tenant that cannot says why beside it.
 */
export function TenantPicker({ consent, selected, onSelect }: TenantPickerProps) {
  const { t } = useTranslation('sessions');
  const id = useId();
  return (
    <fieldset className="consent-tenants" aria-describedby={`${id}-hint`}>
      <legend>{t('consent.tenant')}</legend>
      <p id={`${id}-hint`} className="hint">
        {t('consent.tenantHint')}
      </p>
      <div className="consent-tenant-options">
        {consent.tenants.map((tenant) => {
          const reason = unavailableReason(tenant, consent.resource);
          const reasonId = `${id}-${tenant.tenantId}-reason`;
          return (
            <label key={tenant.tenantId} className={reason ? 'consent-tenant consent-tenant-off' : 'consent-tenant'}>
              <input
                type="radio"
                name={`${id}-tenant`}
                value={tenant.tenantId}
                checked={selected === tenant.tenantId}
                disabled={reason !== null}
                aria-describedby={reason ? reasonId : undefined}
                onChange={() => onSelect(tenant.tenantId)}
              />
              <span className="consent-tenant-text">
                <span className="consent-tenant-name">{tenant.tenantName}</span>
                <span className="muted"> · {roleLabel(tenant.role)}</span>
                {reason && (
                  <span id={reasonId} className="consent-tenant-reason">
                    {reason}
                  </span>
                )}
              </span>
            </label>
          );
        })}
      </div>
    </fieldset>
  );
}
