import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Trans, useTranslation } from 'react-i18next';
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
  const { t } = useTranslation('members');
  const trpc = useTRPC();
  const format = useFormatters();
  const now = useNow();
  const name = nameOf(member);
  const grants = useQuery(trpc.tenants.memberGrants.queryOptions({ userId: member.userId }));
  const [revoking, setRevoking] = useState<OAuthGrant | null>(null);
  // The disconnected app's button goes with its line: focus goes to this panel's heading.
  const { target: heading, expectRefocus } = useRefocus<HTMLHeadingElement>(grants.dataUpdatedAt);

  return (
    <section className="member-grants" aria-label={t('grants.label', { name })}>
      <h3 ref={heading} tabIndex={-1}>
        {t('grants.heading', { name, tenant: tenantName })}
      </h3>
      {grants.isPending ? (
        <Skeleton lines={2} label={t('grants.loading', { name })} />
      ) : grants.isError ? (
        <LoadError what={t('grants.loadFailed', { name })} error={grants.error} retry={() => grants.refetch()} />
      ) : grants.data.length === 0 ? (
        <p className="muted">{t('grants.none', { tenant: tenantName })}</p>
      ) : (
        <ul className="member-grant-list">
          {grants.data.map((grant) => (
            <li key={grant.id}>
              <span className="member-grant-text">
                {grant.client.name === null ? <span className="member-grant-name muted">{NO_CLIENT_NAME}</span> : <bdi className="member-grant-name">{grant.client.name}</bdi>}
                <span className="muted">
                  <Trans
                    t={t}
                    i18nKey="grants.facts"
                    values={{ resource: resourceWords(grant.resource, tenantName), host: grant.client.redirectHost, approved: format.dateTime(grant.approvedAt) }}
                    components={{ code: <code />, approved: <time dateTime={grant.approvedAt} /> }}
                  />{' '}
                  ·{' '}
                  {grant.lastUsedAt ? (
                    <Trans
                      t={t}
                      i18nKey="grants.lastUsed"
                      values={{ when: format.relative(grant.lastUsedAt, now) }}
                      components={{ used: <time dateTime={grant.lastUsedAt} title={format.dateTime(grant.lastUsedAt)} /> }}
                    />
                  ) : (
                    t('grants.notUsed')
                  )}
                </span>
              </span>
              <button type="button" className="danger" aria-label={t('grants.disconnectLabel', { client: clientLabel(grant.client), name })} onClick={() => setRevoking(grant)}>
                {t('grants.disconnect')}
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
          onRevoked(t('grants.disconnected', { client: clientLabel(grant.client), name, tenant: tenantName }));
          expectRefocus();
          void grants.refetch();
        }}
        onFailed={(grant, error) => {
          setRevoking(null);
          onProblem({ title: t('grants.disconnectFailed', { client: clientLabel(grant.client), name }), error });
          void grants.refetch();
        }}
      />
    </section>
  );
}
