import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Trans, useTranslation } from 'react-i18next';
import type { TenantMember } from '@mreg/shared';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { LoadError } from '../../components/LoadError';
import { Skeleton } from '../../components/Skeleton';
import { useFormatters } from '../../prefs/usePreferences';
import { useTRPC } from '../../trpc';
import { useNow } from '../../components/useNow';
import { useRefocus } from '../../components/useRefocus';
import { nameOf, type Problem } from './problems';

interface MemberSessionsProps {
  member: TenantMember;
  tenantName: string;
  isMe: boolean;
  onEnded: (message: string) => void;
  onProblem: (problem: Problem) => void;
}

/** A member's live sessions in this tenant, and ending them all (sessions:manage). */
export function MemberSessions({ member, tenantName, isMe, onEnded, onProblem }: MemberSessionsProps) {
  const { t } = useTranslation('members');
  const trpc = useTRPC();
  const format = useFormatters();
  const now = useNow();
  const name = nameOf(member);
  const sessions = useQuery(trpc.tenants.memberSessions.queryOptions({ userId: member.userId }));
  const revoke = useMutation(trpc.tenants.revokeMemberSessions.mutationOptions());
  const [confirming, setConfirming] = useState(false);
  const list = sessions.data ?? [];
  const includesMine = list.some((session) => session.isCurrent);
  // Once they are ended the button that had the focus is gone: it goes to this panel's heading.
  const { target: heading, expectRefocus } = useRefocus<HTMLHeadingElement>(sessions.dataUpdatedAt);

  const endAll = async () => {
    try {
      const { revoked } = await revoke.mutateAsync({ userId: member.userId });
      // Ending one's own sessions here ends this one too: the cookie is already cleared.
      if (isMe && includesMine) return window.location.assign('/');
      onEnded(t('sessions.ended', { count: revoked, name, tenant: tenantName }));
    } catch (error) {
      onProblem({ title: t('sessions.endFailed', { name }), error });
    }
    setConfirming(false);
    expectRefocus();
    await sessions.refetch();
  };

  return (
    <section className="member-sessions" aria-label={t('sessions.label', { name })}>
      <h3 ref={heading} tabIndex={-1}>
        {t('sessions.heading', { name, tenant: tenantName })}
      </h3>
      {sessions.isPending ? (
        <Skeleton lines={2} label={t('sessions.loading', { name })} />
      ) : sessions.isError ? (
        <LoadError what={t('sessions.loadFailed', { name })} error={sessions.error} retry={() => sessions.refetch()} />
      ) : list.length === 0 ? (
        <p className="muted">{t('sessions.none', { tenant: tenantName })}</p>
      ) : (
        <>
          <ul className="member-session-list">
            {list.map((session) => (
              <li key={session.sessionId}>
                <span className="member-session-device">{session.device}</span>
                {session.isCurrent && <span className="badge">{t('sessions.thisDevice')}</span>}
                <span className="muted">
                  <Trans
                    t={t}
                    i18nKey="sessions.facts"
                    values={{ ip: session.ipAddress ?? t('sessions.noIp'), lastActive: format.relative(session.lastActivity, now), signedIn: format.dateTime(session.createdAt) }}
                    components={{
                      last: <time dateTime={session.lastActivity} title={format.dateTime(session.lastActivity)} />,
                      first: <time dateTime={session.createdAt} />,
                    }}
                  />
                </span>
              </li>
            ))}
          </ul>
          <div className="actions">
            <button type="button" className="danger" aria-label={t('sessions.endLabel', { name })} onClick={() => setConfirming(true)}>
              {t('sessions.end')}
            </button>
          </div>
        </>
      )}

      <ConfirmDialog
        open={confirming}
        title={t('sessions.confirmTitle', { name })}
        confirmLabel={t('sessions.end')}
        danger
        busy={revoke.isPending}
        onConfirm={() => void endAll()}
        onCancel={() => setConfirming(false)}
      >
        <p>{t('sessions.confirmText', { count: list.length, name, tenant: tenantName })}</p>
        {isMe && includesMine && <p>{t('sessions.includesMine')}</p>}
      </ConfirmDialog>
    </section>
  );
}
