import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import type { OAuthGrant } from '@mreg/shared';
import { EmptyState } from '../../components/EmptyState';
import { LoadError } from '../../components/LoadError';
import { Skeleton } from '../../components/Skeleton';
import { useNow } from '../../components/useNow';
import { useRefocus } from '../../components/useRefocus';
import { useFormatters } from '../../prefs/usePreferences';
import { useTRPC } from '../../trpc';
import { RevokeGrantDialog } from '../oauth/RevokeGrantDialog';
import { clientLabel, NO_CLIENT_NAME, resourceWords } from '../oauth/words';

/** When, as "3 days ago" with the date on hover. */
function When({ iso, now }: { iso: string; now: number }) {
  const format = useFormatters();
  return (
    <time dateTime={iso} title={format.dateTime(iso)}>
      {format.relative(iso, now)}
    </time>
  );
}

/**
 * The MCP clients the person approved (auth.grants), on the Sessions page: each acts as them in one
 * tenant until they disconnect it here. Reached from the consent page as /sessions#connected-apps.
 */
export function ConnectedApps() {
  const trpc = useTRPC();
  const format = useFormatters();
  const now = useNow();
  const grants = useQuery(trpc.auth.grants.queryOptions());
  const [revoking, setRevoking] = useState<OAuthGrant | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<{ what: string; error: unknown } | null>(null);
  // A disconnected app's row takes its focused button with it: focus goes to the section's heading.
  const { target: heading, expectRefocus } = useRefocus<HTMLHeadingElement>(grants.dataUpdatedAt);

  useEffect(() => {
    // After the page's own focus on its title (an earlier sibling's effect): the link named this section.
    if (window.location.hash !== '#connected-apps') return;
    heading.current?.scrollIntoView({ block: 'start' });
    heading.current?.focus({ preventScroll: true });
  }, [heading]);

  return (
    <section id="connected-apps" className="connected-apps" aria-labelledby="connected-apps-title">
      <h2 id="connected-apps-title" ref={heading} tabIndex={-1}>
        Connected apps
      </h2>
      <p className="muted">
        MCP clients you approved to use MREG as you, each in one tenant. Disconnect any you no longer use or do not recognise: it is refused from
        its next request on.
      </p>

      <div role="status" className={notice ? 'banner banner-success' : undefined}>
        {notice && <p>{notice}</p>}
      </div>
      {failure && <LoadError what={failure.what} error={failure.error} />}

      {grants.isPending ? (
        <Skeleton lines={3} label="Loading your connected apps…" />
      ) : grants.isError ? (
        <LoadError what="Your connected apps could not be loaded" error={grants.error} retry={() => grants.refetch()} />
      ) : grants.data.length === 0 ? (
        <EmptyState title="No MCP client is connected.">
          When an MCP client (Claude, VS Code, Cursor…) signs in to MREG through your browser and you approve it, it is listed here, so that you
          can disconnect it.
        </EmptyState>
      ) : (
        <table className="table grants-table" aria-label="Your connected apps">
          <thead>
            <tr>
              <th scope="col">App</th>
              <th scope="col">Tenant</th>
              <th scope="col">Access</th>
              <th scope="col">Approved</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="visually-hidden">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {grants.data.map((grant) => (
              <tr key={grant.id}>
                <td data-label="App">
                  {grant.client.name === null ? (
                    <span className="muted grant-no-name">{NO_CLIENT_NAME}</span>
                  ) : (
                    <bdi className="grant-name">{grant.client.name}</bdi>
                  )}
                  <span className="grant-host muted">
                    Returns to <code>{grant.client.redirectHost}</code>
                  </span>
                </td>
                <td data-label="Tenant">{grant.tenantName}</td>
                <td data-label="Access">
                  <span title={grant.resource.url}>{resourceWords(grant.resource, grant.tenantName)}</span>
                </td>
                <td data-label="Approved">
                  <time dateTime={grant.approvedAt}>{format.dateTime(grant.approvedAt)}</time>
                </td>
                <td data-label="Last used">{grant.lastUsedAt ? <When iso={grant.lastUsedAt} now={now} /> : <span className="muted">Not yet</span>}</td>
                <td className="grant-action">
                  <button
                    type="button"
                    className="danger"
                    aria-label={`Disconnect ${clientLabel(grant.client)} (${grant.tenantName})`}
                    onClick={() => {
                      setNotice(null);
                      setFailure(null);
                      setRevoking(grant);
                    }}
                  >
                    Disconnect
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <RevokeGrantDialog
        grant={revoking}
        onCancel={() => setRevoking(null)}
        onRevoked={(grant) => {
          setRevoking(null);
          setNotice(`Disconnected ${clientLabel(grant.client)} from ${grant.tenantName}: it no longer works.`);
          expectRefocus();
          void grants.refetch();
        }}
        onFailed={(grant, error) => {
          setRevoking(null);
          setFailure({ what: `Could not disconnect ${clientLabel(grant.client)}`, error });
          // A NOT_FOUND means it was disconnected already: the list should say so.
          void grants.refetch();
        }}
      />
    </section>
  );
}
