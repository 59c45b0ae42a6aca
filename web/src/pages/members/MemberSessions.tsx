import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import type { TenantMember } from '@mreg/shared';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { LoadError } from '../../components/LoadError';
import { Skeleton } from '../../components/Skeleton';
import { useFormatters } from '../../prefs/usePreferences';
import { useTRPC } from '../../trpc';
import { count, useNow } from '../../components/useNow';
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
      onEnded(`Ended ${count(revoked, 'session')} of ${name} in ${tenantName}.`);
    } catch (error) {
      onProblem({ title: `Could not end the sessions of ${name}`, error });
    }
    setConfirming(false);
    expectRefocus();
    await sessions.refetch();
  };

  return (
    <section className="member-sessions" aria-label={`Sessions of ${name}`}>
      <h3 ref={heading} tabIndex={-1}>
        Sessions of {name} in {tenantName}
      </h3>
      {sessions.isPending ? (
        <Skeleton lines={2} label={`Loading the sessions of ${name}…`} />
      ) : sessions.isError ? (
        <LoadError what={`The sessions of ${name} could not be loaded`} error={sessions.error} retry={() => sessions.refetch()} />
      ) : list.length === 0 ? (
        <p className="muted">No active sessions in {tenantName}.</p>
      ) : (
        <>
          <ul className="member-session-list">
            {list.map((session) => (
              <li key={session.sessionId}>
                <span className="member-session-device">{session.device}</span>
                {session.isCurrent && <span className="badge">This device</span>}
                <span className="muted">
                  {session.ipAddress ?? 'IP address unknown'} · last active{' '}
                  <time dateTime={session.lastActivity} title={format.dateTime(session.lastActivity)}>
                    {format.relative(session.lastActivity, now)}
                  </time>{' '}
                  · signed in <time dateTime={session.createdAt}>{format.dateTime(session.createdAt)}</time>
                </span>
              </li>
            ))}
          </ul>
          <div className="actions">
            <button type="button" className="danger" aria-label={`End all their sessions (${name})`} onClick={() => setConfirming(true)}>
              End all their sessions
            </button>
          </div>
        </>
      )}

      <ConfirmDialog
        open={confirming}
        title={`End all sessions of ${name}?`}
        confirmLabel="End all their sessions"
        danger
        busy={revoke.isPending}
        onConfirm={() => void endAll()}
        onCancel={() => setConfirming(false)}
      >
        <p>
          {list.length === 1 ? 'Their session' : `Their ${list.length} sessions`} in {tenantName} {list.length === 1 ? 'ends' : 'end'} at once,
          and {name} will have to sign in again. Their membership and role stay as they are.
        </p>
        {isMe && includesMine && <p>This includes the session you are using: you will be signed out.</p>}
      </ConfirmDialog>
    </section>
  );
}
