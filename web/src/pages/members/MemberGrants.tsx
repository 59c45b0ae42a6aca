import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import type { OAuthGrant, TenantMember } from '@mreg/shared';
import { LoadError } from '../../components/LoadError';
import { Skeleton } from '../../components/Skeleton';
import { useNow } from '../../components/useNow';
import { useRefocus } from '../../components/useRefocus';
import { useFormatters } from '../../prefs/usePreferences';
import { useTRPC } from '../../trpc';
import { RevokeGrantDialog } from '../oauth/RevokeGrantDialog';
import { clientLabel, NO_CLIENT_NAME, resourceWords } from '../oauth/words';
import { nameOf, type Problem } from './problems';

interface MemberGrantsProps {
  member: TenantMember;
  tenantName: string;
  onRevoked: (message: string) => void;
  onProblem: (problem: Problem) => void;
}

/** The MCP clients a member connected in this tenant, beside their sessions, and disconnecting one (sessions:manage). */
export function MemberGrants({ member, tenantName, onRevoked, onProblem }: MemberGrantsProps) {
  const trpc = useTRPC();
  const format = useFormatters();
  const now = useNow();
  const name = nameOf(member);
  const grants = useQuery(trpc.tenants.memberGrants.queryOptions({ userId: member.userId }));
  const [revoking, setRevoking] = useState<OAuthGrant | null>(null);
  // The disconnected app's button goes with its line: focus goes to this panel's heading.
  const { target: heading, expectRefocus } = useRefocus<HTMLHeadingElement>(grants.dataUpdatedAt);

  return (
    <section className="member-grants" aria-label={`Connected apps of ${name}`}>
      <h3 ref={heading} tabIndex={-1}>
        Connected apps of {name} in {tenantName}
      </h3>
      {grants.isPending ? (
        <Skeleton lines={2} label={`Loading the connected apps of ${name}…`} />
      ) : grants.isError ? (
        <LoadError what={`The connected apps of ${name} could not be loaded`} error={grants.error} retry={() => grants.refetch()} />
      ) : grants.data.length === 0 ? (
        <p className="muted">No MCP client is connected in {tenantName}.</p>
      ) : (
        <ul className="member-grant-list">
          {grants.data.map((grant) => (
            <li key={grant.id}>
              <span className="member-grant-text">
                {grant.client.name === null ? <span className="member-grant-name muted">{NO_CLIENT_NAME}</span> : <bdi className="member-grant-name">{grant.client.name}</bdi>}
                <span className="muted">
                  {resourceWords(grant.resource, tenantName)} · returns to <code>{grant.client.redirectHost}</code> · approved{' '}
                  <time dateTime={grant.approvedAt}>{format.dateTime(grant.approvedAt)}</time> ·{' '}
                  {grant.lastUsedAt ? (
                    <>
                      last used{' '}
                      <time dateTime={grant.lastUsedAt} title={format.dateTime(grant.lastUsedAt)}>
                        {format.relative(grant.lastUsedAt, now)}
                      </time>
                    </>
                  ) : (
                    'not used yet'
                  )}
                </span>
              </span>
              <button type="button" className="danger" aria-label={`Disconnect ${clientLabel(grant.client)} of ${name}`} onClick={() => setRevoking(grant)}>
                Disconnect
              </button>
            </li>
          ))}
        </ul>
      )}

      <RevokeGrantDialog
        grant={revoking}
        member={{ userId: member.userId, name }}
        onCancel={() => setRevoking(null)}
        onRevoked={(grant) => {
          setRevoking(null);
          onRevoked(`Disconnected ${clientLabel(grant.client)} of ${name} in ${tenantName}: it no longer works.`);
          expectRefocus();
          void grants.refetch();
        }}
        onFailed={(grant, error) => {
          setRevoking(null);
          onProblem({ title: `Could not disconnect ${clientLabel(grant.client)} of ${name}`, error });
          void grants.refetch();
        }}
      />
    </section>
  );
}
