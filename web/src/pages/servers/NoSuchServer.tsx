import { Link } from 'wouter';
import { useEnhancedAuth } from '../../auth/EnhancedAuthProvider';
import { PageTitle } from '../../components/PageTitle';
import { errorCode } from '../../trpc';

/** Another tenant's server, a removed one, or an address that names none: the server says NOT_FOUND (or the id is no id). */
export const isNoSuchServer = (error: unknown) => errorCode(error) === 'NOT_FOUND' || errorCode(error) === 'BAD_REQUEST';

export function NoSuchServer() {
  const { tenantContext } = useEnhancedAuth();
  return (
    <section>
      <PageTitle title="No such server here">
        {tenantContext?.tenantName ?? 'This tenant'} has no server at this address. It may have been removed, or it belongs to another tenant.
      </PageTitle>
      <p>
        <Link href="/servers" className="button">
          See the servers of {tenantContext?.tenantName ?? 'this tenant'}
        </Link>
      </p>
    </section>
  );
}
