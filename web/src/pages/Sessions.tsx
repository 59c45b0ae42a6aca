import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { SessionSummary } from '@mreg/shared';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { EmptyState } from '../components/EmptyState';
import { LoadError } from '../components/LoadError';
import { PageTitle } from '../components/PageTitle';
import { Skeleton } from '../components/Skeleton';
import { useFormatters, useLanguage } from '../prefs/usePreferences';
import { useTRPC } from '../trpc';
import { useNow } from '../components/useNow';
import { useRefocus } from '../components/useRefocus';
import { ConnectedApps } from './sessions/ConnectedApps';
import './Sessions.css';

type Pending = { kind: 'one'; session: SessionSummary } | { kind: 'others'; count: number } | { kind: 'here' };

/** My sessions: where I am signed in, ending one I do not recognise, or all but this one; and the MCP clients I connected. */
export function Sessions() {
  const { t } = useTranslation('sessions');
  const { locale } = useLanguage();
  const trpc = useTRPC();
  const auth = useEnhancedAuth();
  const format = useFormatters();
  const now = useNow();
  const sessions = useQuery(trpc.auth.sessions.queryOptions());
  const revoke = useMutation(trpc.auth.revokeSession.mutationOptions());
  const revokeOthers = useMutation(trpc.auth.revokeOtherSessions.mutationOptions());
  const [pending, setPending] = useState<Pending | null>(null);
  const [signingOut, setSigningOut] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<{ what: string; error: unknown } | null>(null);
  // The row whose button had the focus is gone after an end: focus goes to the list's heading.
  const { target: listHeading, expectRefocus } = useRefocus<HTMLHeadingElement>(sessions.dataUpdatedAt);

  const afterChange = async () => {
    expectRefocus();
    await sessions.refetch();
  };

  const endOne = async (session: SessionSummary) => {
    setFailure(null);
    setNotice(null);
    try {
      const result = await revoke.mutateAsync({ sessionId: session.sessionId });
      // The server already cleared the cookie: nothing on this page is valid any more.
      if (result.signedOut) return window.location.assign('/');
      setNotice(t('endedOne', { device: session.device }));
    } catch (error) {
      setFailure({ what: t('endOneFailed', { device: session.device }), error });
    }
    setPending(null);
    // Also after a failure: a NOT_FOUND means it had already ended, and the list should say so.
    await afterChange();
  };

  const endOthers = async () => {
    setFailure(null);
    setNotice(null);
    try {
      const { revoked } = await revokeOthers.mutateAsync();
      setNotice(t('endedOthers', { count: revoked, locale }));
    } catch (error) {
      setFailure({ what: t('endOthersFailed'), error });
    }
    setPending(null);
    await afterChange();
  };

  const signOutHere = () => {
    setFailure(null);
    setSigningOut(true);
    auth.logout().catch((error: unknown) => {
      setSigningOut(false);
      setPending(null);
      setFailure({ what: t('signOutFailed'), error });
    });
  };

  // The server lists newest activity first; this device goes on top whatever its activity.
  const list = sessions.data ? [...sessions.data].sort((a, b) => Number(b.isCurrent) - Number(a.isCurrent)) : [];
  const others = list.filter((session) => !session.isCurrent);

  return (
    <section className="sessions-page">
      <PageTitle title={t('title')}>{t('lead')}</PageTitle>

      <div role="status" className={notice ? 'banner banner-success' : undefined}>
        {notice && <p>{notice}</p>}
      </div>
      {failure && <LoadError what={failure.what} error={failure.error} />}

      {sessions.isPending ? (
        <Skeleton lines={4} label={t('loading')} />
      ) : sessions.isError ? (
        <LoadError what={t('loadError')} error={sessions.error} retry={() => sessions.refetch()} />
      ) : (
        <>
          <h2 ref={listHeading} tabIndex={-1} className="visually-hidden">
            {t('listTitle')}
          </h2>
          <table className="table sessions-table" aria-label={t('listTitle')}>
            <thead>
              <tr>
                <th scope="col">{t('device')}</th>
                <th scope="col">{t('ip')}</th>
                <th scope="col">{t('lastActivity')}</th>
                <th scope="col">{t('signedIn')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('action')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((session) => {
                const lastActive = format.relative(session.lastActivity, now);
                return (
                  <tr key={session.sessionId} className={session.isCurrent ? 'session-current' : undefined}>
                    <td data-label={t('device')} data-session-id={session.sessionId}>
                      <span className="session-device" title={session.userAgent ?? undefined}>
                        {session.device}
                      </span>
                      {session.isCurrent && <span className="badge">{t('thisDevice')}</span>}
                    </td>
                    <td data-label={t('ip')}>{session.ipAddress ?? <span className="muted">{t('unknown')}</span>}</td>
                    <td data-label={t('lastActivity')}>
                      <time dateTime={session.lastActivity} title={format.dateTime(session.lastActivity)}>
                        {lastActive}
                      </time>
                      <span className="session-absolute muted">{format.dateTime(session.lastActivity)}</span>
                    </td>
                    <td data-label={t('signedIn')}>
                      <time dateTime={session.createdAt}>{format.dateTime(session.createdAt)}</time>
                    </td>
                    <td className="session-action">
                      {session.isCurrent ? (
                        <button type="button" aria-label={t('signOutHere')} onClick={() => setPending({ kind: 'here' })}>
                          {t('signOut')}
                        </button>
                      ) : (
                        <button
                          type="button"
                          className="danger"
                          aria-label={
                            session.ipAddress
                              ? t('endLabelIp', { device: session.device, ip: session.ipAddress, when: lastActive })
                              : t('endLabel', { device: session.device, when: lastActive })
                          }
                          onClick={() => setPending({ kind: 'one', session })}
                        >
                          {t('endSession')}
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>

          {others.length === 0 ? (
            <EmptyState title={t('onlyHereTitle')}>{t('onlyHereText')}</EmptyState>
          ) : (
            <div className="actions">
              <button type="button" className="danger" onClick={() => setPending({ kind: 'others', count: others.length })}>
                {t('signOutElsewhere')}
              </button>
            </div>
          )}
        </>
      )}

      <ConnectedApps />

      <ConfirmDialog
        open={pending?.kind === 'one'}
        title={pending?.kind === 'one' ? t('endOneTitle', { device: pending.session.device }) : t('endOneTitleUnknown')}
        confirmLabel={t('endSession')}
        danger
        busy={revoke.isPending}
        onConfirm={() => pending?.kind === 'one' && void endOne(pending.session)}
        onCancel={() => setPending(null)}
      >
        {pending?.kind === 'one' && (
          <p>
            {pending.session.ipAddress
              ? t('endOneTextIp', { ip: pending.session.ipAddress, when: format.relative(pending.session.lastActivity, now) })
              : t('endOneText', { when: format.relative(pending.session.lastActivity, now) })}
          </p>
        )}
      </ConfirmDialog>

      <ConfirmDialog
        open={pending?.kind === 'others'}
        title={t('endOthersTitle')}
        confirmLabel={t('signOutElsewhere')}
        danger
        busy={revokeOthers.isPending}
        onConfirm={() => void endOthers()}
        onCancel={() => setPending(null)}
      >
        {pending?.kind === 'others' && (
          <p>{t('endOthersText', { count: pending.count, locale })}</p>
        )}
      </ConfirmDialog>

      <ConfirmDialog
        open={pending?.kind === 'here'}
        title={t('signOutHereTitle')}
        confirmLabel={t('signOut')}
        busy={signingOut}
        onConfirm={signOutHere}
        onCancel={() => setPending(null)}
      >
        <p>{t('signOutHereText')}</p>
      </ConfirmDialog>
    </section>
  );
}
