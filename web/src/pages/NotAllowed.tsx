import { Link } from 'wouter';
import type { Permission } from '@mreg/shared';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { PageTitle } from '../components/PageTitle';

/** The page exists, but not for this person in this tenant: say which right it takes and who has it. */
export function NotAllowed({ permission }: { permission: Permission }) {
  const { tenantContext } = useEnhancedAuth();
  return (
    <section>
      <PageTitle title="Not allowed">You are not allowed to see this page.</PageTitle>
      <p>
        It needs the permission <code>{permission}</code>
        {tenantContext ? (
          <>
            , which your role in {tenantContext.tenantName} (<strong>{tenantContext.role}</strong>) does not give. An
            administrator of {tenantContext.tenantName} can change your role.
          </>
        ) : (
          <>, and you have no active tenant.</>
        )}
      </p>
      <p>
        <Link href="/dashboard" className="button">
          Go to the dashboard
        </Link>
      </p>
    </section>
  );
}
