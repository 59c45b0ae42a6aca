import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { EmptyState } from '../components/EmptyState';
import { LoadError } from '../components/LoadError';
import { PageTitle } from '../components/PageTitle';
import { Skeleton } from '../components/Skeleton';
import { useNow } from '../components/useNow';
import { useRefocus } from '../components/useRefocus';
import { aRole } from '../roles';
import { useTRPC } from '../trpc';
import { AddMemberForm } from './members/AddMemberForm';
import { InviteSection } from './members/InviteSection';
import { MemberActionDialog } from './members/MemberActionDialog';
import { MemberRow } from './members/MemberRow';
import { PendingInvitations } from './members/PendingInvitations';
import { nameOf, ProblemBanner, type Problem } from './members/problems';
import { useMemberActions, type Feedback } from './members/useMemberActions';
import './Members.css';

/**
 * The active tenant's members, for those with members:manage: invite anyone (a link to send), add
 * someone MREG knows, change role, deactivate, remove, end sessions; and the pending invitations.
 */
export function Members() {
  const trpc = useTRPC();
  const auth = useEnhancedAuth();
  const now = useNow();
  const members = useQuery(trpc.tenants.members.queryOptions());
  const [openSessions, setOpenSessions] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);

  const tenantName = auth.tenantContext?.tenantName ?? 'this tenant';
  const me = auth.user?.id;
  const canManageSessions = auth.can('sessions:manage');

  // A removed member's row takes the focused button with it: focus goes to the list's heading.
  const { target: listHeading, expectRefocus } = useRefocus<HTMLHeadingElement>(members.dataUpdatedAt);

  const feedback: Feedback = {
    report: (message) => {
      setProblem(null);
      setNotice(message);
    },
    fail: (next) => {
      setNotice(null);
      setProblem(next);
    },
    clear: () => {
      setNotice(null);
      setProblem(null);
    },
  };
  const actions = useMemberActions({ members: members.data ?? [], me, tenantName, feedback, expectRefocus });

  // By name, not in the server's order (active admins first): a row that moved when its role or
  // state changed would take the keyboard focus on its select or button away with it.
  const list = [...(members.data ?? [])].sort(
    (a, b) => nameOf(a).localeCompare(nameOf(b)) || a.email.localeCompare(b.email) || a.userId.localeCompare(b.userId),
  );
  return (
    <section className="members-page">
      <PageTitle title="Members">People in {tenantName}</PageTitle>

      <InviteSection tenantName={tenantName} onStart={() => feedback.clear()} />

      <AddMemberForm
        // A message about the last action would stand beside this one's outcome as if it were it.
        onStart={() => setNotice(null)}
        onAdded={(member) => {
          feedback.report(`Added ${nameOf(member)} (${member.email}) to ${tenantName} as ${aRole(member.role)}.`);
          actions.refresh();
        }}
      />

      {/* The page's one live region, under the form and above the list, for what either of them did. */}
      <div role="status" className={notice ? 'banner banner-success members-notice' : undefined}>
        {notice && <p>{notice}</p>}
      </div>
      {problem && <ProblemBanner problem={problem} onDismiss={() => setProblem(null)} />}

      <h2 ref={listHeading} tabIndex={-1}>
        Members of {tenantName}
        {members.data && <span className="muted members-count"> ({list.length})</span>}
      </h2>

      {members.isPending ? (
        <Skeleton lines={5} label="Loading the members…" />
      ) : members.isError ? (
        <LoadError what="The members could not be loaded" error={members.error} retry={() => members.refetch()} />
      ) : list.length === 0 ? (
        <EmptyState title={`No one belongs to ${tenantName} yet.`}>Invite someone, or add someone MREG knows, above.</EmptyState>
      ) : (
        <table className="table members-table" aria-label={`Members of ${tenantName}`}>
          <thead>
            <tr>
              <th scope="col">Member</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Last active</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((member) => {
              const sessionsOpen = canManageSessions && openSessions === member.userId;
              return (
                <MemberRow
                  key={member.userId}
                  member={member}
                  tenantName={tenantName}
                  isMe={member.userId === me}
                  myAvatarUrl={auth.userProfile?.avatarUrl ?? null}
                  canManageSessions={canManageSessions}
                  sessionsOpen={sessionsOpen}
                  onToggleSessions={() => setOpenSessions(sessionsOpen ? null : member.userId)}
                  actions={actions}
                  feedback={feedback}
                  now={now}
                />
              );
            })}
          </tbody>
        </table>
      )}

      <PendingInvitations tenantName={tenantName} />

      <MemberActionDialog actions={actions} tenantName={tenantName} me={me} />
    </section>
  );
}
