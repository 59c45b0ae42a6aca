import { useQuery } from '@tanstack/react-query';
import type { Features } from '@mreg/shared';
import { LoadError } from '../components/LoadError';
import { useTRPC } from '../trpc';

const FEATURE_LABELS: Record<Exclude<keyof Features, 'preferencesStorage' | 'signIn'>, string> = {
  enhancedAuth: 'Enhanced authentication',
  userProfiles: 'User profiles',
  sessionManagement: 'Session management',
  avatarStorage: 'Avatars',
  tenantSwitching: 'Tenant switching',
  tenantContextCaching: 'Tenant context caching',
  roleBasedUi: 'Role-based UI',
};

export function Home() {
  const trpc = useTRPC();
  const features = useQuery(trpc.config.features.queryOptions());

  return (
    <section aria-labelledby="features-heading" aria-busy={features.isPending}>
      <h2 id="features-heading">Features on this server</h2>
      {features.isPending && <p className="muted">Loading…</p>}
      {features.isError && <LoadError what="The server could not be reached" error={features.error} retry={features.refetch} />}
      {features.data && (
        <>
          <ul className="features">
            {Object.entries(FEATURE_LABELS).map(([key, label]) => {
              const on = features.data[key as keyof typeof FEATURE_LABELS];
              return (
                <li key={key} data-feature={key} data-on={on}>
                  <span aria-hidden="true">{on ? '●' : '○'}</span> {label}: <strong>{on ? 'on' : 'off'}</strong>
                </li>
              );
            })}
          </ul>
          <p className="muted">
            Preferences are kept in <strong>{features.data.preferencesStorage}</strong>; sign-in uses{' '}
            <strong>{features.data.signIn === 'entra-id' ? 'Microsoft Entra ID' : 'the development provider'}</strong>.
          </p>
        </>
      )}
    </section>
  );
}
