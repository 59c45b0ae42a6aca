import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import type { SessionSummary } from '@mreg/shared';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { EmptyState } from '../components/EmptyState';
import { LoadError } from '../components/LoadError';
import { PageTitle } from '../components/PageTitle';
import { Skeleton } from '../components/Skeleton';
import { useFormatters } from '../prefs/usePreferences';
import { useTRPC } from '../trpc';
import { count, useNow } from '../components/useNow';
import { useRefocus } from '../components/useRefocus';
import { ConnectedApps } from './sessions/ConnectedApps';
import './Sessions.css';

type Pending = { kind: 'one'; session: SessionSummary } | { kind: 'others'; count: number } | { kind: 'here' };

/** My sessions: where I am signed in, ending one I do not recognise, or all but this one; and the MCP clients I connected. */
export function Sessions() {
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
      setNotice(`Ended the session on ${session.device}.`);
    } catch (error) {
      setFailure({ what: `The session on ${session.device} could not be ended`, error });
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
      setNotice(`Ended ${count(revoked, 'session')}.`);
    } catch (error) {
      setFailure({ what: 'The other sessions could not be ended', error });
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
      setFailure({ what: 'Sign-out failed', error });
    });
  };

  // The server lists newest activity first; this device goes on top whatever its activity.
  const list = sessions.data ? [...sessions.data].sort((a, b) => Number(b.isCurrent) - Number(a.isCurrent)) : [];
  const others = list.filter((session) => !session.isCurrent);

  return (
    <section className="sessions-page">
      <PageTitle title="Sessions">Where you are signed in, and the apps you have connected. End any you do not recognise.</PageTitle>

      <div role="status" className={notice ? 'banner banner-success' : undefined}>
        {notice && <p>{notice}</p>}
      </div>
      {failure && <LoadError what={failure.what} error={failure.error} />}

      {sessions.isPending ? (
        <Skeleton lines={4} label="Loading your sessions…" />
      ) : sessions.isError ? (
        <LoadError what="Your sessions could not be loaded" error={sessions.error} retry={() => sessions.refetch()} />
      ) : (
        <>
          <h2 ref={listHeading} tabIndex={-1} className="visually-hidden">
            Your sessions
          </h2>
          <table className="table sessions-table" aria-label="Your sessions">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">IP address</th>
                <th scope="col">Last activity</th>
                <th scope="col">Signed in</th>
                <th scope="col">
                  <span className="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((session) => {
                const lastActive = format.relative(session.lastActivity, now);
                return (
                  <tr key={session.sessionId} className={session.isCurrent ? 'session-current' : undefined}>
                    <td data-label="Device" data-session-id={session.sessionId}>
                      <span className="session-device" title={session.userAgent ?? undefined}>
                        {session.device}
                      </span>
                      {session.isCurrent && <span className="badge">This device</span>}
                    </td>
                    <td data-label="IP address">{session.ipAddress ?? <span className="muted">Unknown</span>}</td>
                    <td data-label="Last activity">
                      <time dateTime={session.lastActivity} title={format.dateTime(session.lastActivity)}>
                        {lastActive}
                      </time>
                      <span className="session-absolute muted">{format.dateTime(session.lastActivity)}</span>
                    </td>
                    <td data-label="Signed in">
                      <time dateTime={session.createdAt}>{format.dateTime(session.createdAt)}</time>
                    </td>
                    <td className="session-action">
                      {session.isCurrent ? (
                        <button type="button" aria-label="Sign out here" onClick={() => setPending({ kind: 'here' })}>
                          Sign out
                        </button>
                      ) : (
                        <button
                          type="button"
                          className="danger"
                          aria-label={`End session on ${session.device}${session.ipAddress ? ` (${session.ipAddress})` : ''}, last active ${lastActive}`}
                          onClick={() => setPending({ kind: 'one', session })}
                        >
                          End session
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>

          {others.length === 0 ? (
            <EmptyState title="You are signed in only here.">
              Sessions in other browsers or on other devices will be listed here, so that you can end any you do not recognise.
            </EmptyState>
          ) : (
            <div className="actions">
              <button type="button" className="danger" onClick={() => setPending({ kind: 'others', count: others.length })}>
                Sign out everywhere else
              </button>
            </div>
          )}
        </>
      )}

      <ConnectedApps />

      <ConfirmDialog
        open={pending?.kind === 'one'}
        title={pending?.kind === 'one' ? `End the session on ${pending.session.device}?` : 'End the session?'}
        confirmLabel="End session"
        danger
        busy={revoke.isPending}
        onConfirm={() => pending?.kind === 'one' && void endOne(pending.session)}
        onCancel={() => setPending(null)}
      >
        {pending?.kind === 'one' && (
          <p>
            Whoever uses that browser{pending.session.ipAddress ? ` (${pending.session.ipAddress})` : ''} will have to sign in again. It was last
            active {format.relative(pending.session.lastActivity, now)}.
          </p>
        )}
      </ConfirmDialog>

      <ConfirmDialog
        open={pending?.kind === 'others'}
        title="Sign out everywhere else?"
        confirmLabel="Sign out everywhere else"
        danger
        busy={revokeOthers.isPending}
        onConfirm={() => void endOthers()}
        onCancel={() => setPending(null)}
      >
        {pending?.kind === 'others' && (
          <p>
            This ends {count(pending.count, 'other session')}. You stay signed in on this device; everywhere else you will have to sign in
            again.
          </p>
        )}
      </ConfirmDialog>

      <ConfirmDialog
        open={pending?.kind === 'here'}
        title="Sign out here?"
        confirmLabel="Sign out"
        busy={signingOut}
        onConfirm={signOutHere}
        onCancel={() => setPending(null)}
      >
        <p>This ends the session you are using now. Your other sessions stay signed in.</p>
      </ConfirmDialog>
    </section>
  );
}
