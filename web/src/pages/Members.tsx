import { Fragment, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { effectivePermissions, type Role, type TenantMember } from '@mreg/shared';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { Avatar } from '../components/Avatar';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { EmptyState } from '../components/EmptyState';
import { LoadError } from '../components/LoadError';
import { PageTitle } from '../components/PageTitle';
import { Skeleton } from '../components/Skeleton';
import { useFormatters } from '../prefs/usePreferences';
import { aRole, ROLE_LABEL, ROLE_OPTIONS } from '../roles';
import { useTRPC } from '../trpc';
import { AddMemberForm } from './members/AddMemberForm';
import { MemberSessions } from './members/MemberSessions';
import { isOnlyActiveAdmin, nameOf, ProblemBanner, type Problem } from './members/problems';
import { count, useNow } from '../components/useNow';
import { useRefocus } from '../components/useRefocus';
import './Members.css';

type Pending = { kind: 'deactivate' | 'reactivate' | 'remove'; member: TenantMember } | { kind: 'own-role'; member: TenantMember; role: Role };

/** The active tenant's members, for those with members:manage: add, change role, deactivate, remove, end sessions. */
export function Members() {
  const trpc = useTRPC();
  const auth = useEnhancedAuth();
  const queryClient = useQueryClient();
  const format = useFormatters();
  const now = useNow();
  const members = useQuery(trpc.tenants.members.queryOptions());
  const update = useMutation(trpc.tenants.updateMember.mutationOptions());
  const remove = useMutation(trpc.tenants.removeMember.mutationOptions());
  const [pending, setPending] = useState<Pending | null>(null);
  // The role a select shows while the change is on its way; dropped, the select shows the stored role again.
  const [roleDraft, setRoleDraft] = useState<{ userId: string; role: Role } | null>(null);
  // A role picked in a row's select, not applied yet: arrowing through a closed select changes it
  // at every key press, and each change of rights must be meant.
  const [roleChoices, setRoleChoices] = useState<Record<string, Role>>({});
  const roleShown = (member: TenantMember) =>
    roleDraft?.userId === member.userId ? roleDraft.role : (roleChoices[member.userId] ?? member.role);
  const forgetChoice = (userId: string) =>
    setRoleChoices((choices) => Object.fromEntries(Object.entries(choices).filter(([id]) => id !== userId)));
  const [openSessions, setOpenSessions] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);

  const tenantName = auth.tenantContext?.tenantName ?? 'this tenant';
  const me = auth.user?.id;
  const canManageSessions = auth.can('sessions:manage');
  const membersKey = trpc.tenants.members.queryKey();

  // A removed member's row takes the focused button with it: focus goes to the list's heading.
  const { target: listHeading, expectRefocus } = useRefocus<HTMLHeadingElement>(members.dataUpdatedAt);

  const report = (message: string) => {
    setProblem(null);
    setNotice(message);
  };
  const fail = (next: Problem) => {
    setNotice(null);
    setProblem(next);
  };
  const replace = (member: TenantMember) =>
    queryClient.setQueryData(membersKey, (list) => list?.map((other) => (other.userId === member.userId ? member : other)));
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: membersKey });
    // A role, a deactivation or a removal changes (or ends) the member's sessions as well.
    void queryClient.invalidateQueries(trpc.tenants.memberSessions.pathFilter());
  };

  const changeRole = async (member: TenantMember, role: Role) => {
    setRoleDraft({ userId: member.userId, role });
    setNotice(null);
    setProblem(null);
    try {
      const updated = await update.mutateAsync({ userId: member.userId, role });
      replace(updated);
      report(`${nameOf(updated)} is now ${aRole(updated.role)}.`);
      // My own rights changed: the menus, and whether this page is still mine to see, follow.
      if (updated.userId === me) void queryClient.invalidateQueries({ queryKey: trpc.auth.user.queryKey() });
    } catch (error) {
      fail({ title: `Could not change the role of ${nameOf(member)}`, error });
    }
    setRoleDraft(null);
    refresh();
  };

  const applyRole = (member: TenantMember, role: Role) => {
    forgetChoice(member.userId);
    // One change at a time per member.
    if (role === member.role || roleDraft?.userId === member.userId) return;
    // The server would refuse it (and say why); the page knows already, so nobody is asked first.
    if (role !== 'admin' && isOnlyActiveAdmin(member, members.data ?? [])) {
      return fail({ title: `Could not make ${nameOf(member)} ${aRole(role)}` });
    }
    // Taking away one's own members:manage closes this page for good: asked first.
    if (member.userId === me && !effectivePermissions(role, member.permissions).includes('members:manage')) {
      setRoleDraft({ userId: member.userId, role });
      setPending({ kind: 'own-role', member, role });
      return;
    }
    void changeRole(member, role);
  };

  const setActive = async (member: TenantMember, isActive: boolean) => {
    const name = nameOf(member);
    try {
      const updated = await update.mutateAsync({ userId: member.userId, isActive });
      // Deactivating oneself ended this session; the server has cleared the cookie.
      if (!updated.isActive && updated.userId === me) return window.location.assign('/');
      replace(updated);
      report(
        updated.isActive
          ? `Reactivated ${name}: they can use ${tenantName} again as ${aRole(updated.role)}.`
          : `Deactivated ${name}; their sessions in ${tenantName} have ended.`,
      );
    } catch (error) {
      fail({ title: `Could not ${isActive ? 'reactivate' : 'deactivate'} ${name}`, error });
    }
    setPending(null);
    refresh();
  };

  const removeMember = async (member: TenantMember) => {
    const name = nameOf(member);
    try {
      const { sessionsEnded } = await remove.mutateAsync({ userId: member.userId });
      if (member.userId === me) return window.location.assign('/');
      expectRefocus();
      queryClient.setQueryData(membersKey, (list) => list?.filter((other) => other.userId !== member.userId));
      report(`Removed ${name}; ${count(sessionsEnded, 'session')} ended.`);
    } catch (error) {
      fail({ title: `Could not remove ${name}`, error });
    }
    setPending(null);
    refresh();
  };

  const cancel = () => {
    if (pending?.kind === 'own-role') setRoleDraft(null);
    setPending(null);
  };

  // By name, not in the server's order (active admins first): a row that moved when its role or
  // state changed would take the keyboard focus on its select or button away with it.
  const list = [...(members.data ?? [])].sort(
    (a, b) => nameOf(a).localeCompare(nameOf(b)) || a.email.localeCompare(b.email) || a.userId.localeCompare(b.userId),
  );
  return (
    <section className="members-page">
      <PageTitle title="Members">People in {tenantName}</PageTitle>

      <AddMemberForm
        // A message about the last action would stand beside this one's outcome as if it were it.
        onStart={() => setNotice(null)}
        onAdded={(member) => {
          report(`Added ${nameOf(member)} (${member.email}) to ${tenantName} as ${aRole(member.role)}.`);
          refresh();
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
        <EmptyState title={`No one belongs to ${tenantName} yet.`}>Add someone by their email above.</EmptyState>
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
              const name = nameOf(member);
              const isMe = member.userId === me;
              const busy =
                (update.isPending && update.variables.userId === member.userId) || (remove.isPending && remove.variables.userId === member.userId);
              const sessionsOpen = canManageSessions && openSessions === member.userId;
              const sessionsId = `member-sessions-${member.userId}`;
              return (
                <Fragment key={member.userId}>
                  <tr className={member.isActive ? undefined : 'member-inactive'}>
                    <td data-label="Member">
                      <div className="member-who">
                        <Avatar name={name} url={isMe ? (auth.userProfile?.avatarUrl ?? null) : null} />
                        <div className="member-names">
                          <span className="member-name">
                            {name}
                            {isMe && <span className="badge">You</span>}
                          </span>
                          <span className="muted member-email">{member.email}</span>
                        </div>
                      </div>
                    </td>
                    <td data-label="Role">
                      <select
                        className="member-role"
                        aria-label={`Role of ${name}`}
                        value={roleShown(member)}
                        aria-busy={busy}
                        onChange={(event) => setRoleChoices((choices) => ({ ...choices, [member.userId]: event.target.value as Role }))}
                      >
                        {ROLE_OPTIONS.map((role) => (
                          <option key={role} value={role}>
                            {ROLE_LABEL[role]}
                          </option>
                        ))}
                      </select>
                      {roleChoices[member.userId] !== undefined && roleChoices[member.userId] !== member.role && (
                        <span className="member-role-apply">
                          <button
                            type="button"
                            className="primary"
                            aria-label={`Make ${name} ${aRole(roleChoices[member.userId]!)}`}
                            onClick={() => applyRole(member, roleChoices[member.userId]!)}
                          >
                            Apply
                          </button>
                          <button type="button" aria-label={`Keep the role of ${name}`} onClick={() => forgetChoice(member.userId)}>
                            Cancel
                          </button>
                        </span>
                      )}
                    </td>
                    <td data-label="Status">
                      {member.isActive ? <span className="badge badge-active">Active</span> : <span className="badge badge-muted">Deactivated</span>}
                    </td>
                    <td data-label="Last active">
                      {member.lastActive ? (
                        <time dateTime={member.lastActive} title={format.dateTime(member.lastActive)}>
                          {format.relative(member.lastActive, now)}
                        </time>
                      ) : (
                        <span className="muted">Never</span>
                      )}
                    </td>
                    <td className="member-actions">
                      <div className="member-buttons">
                        {canManageSessions && (
                          <button
                            type="button"
                            aria-label={`Sessions of ${name}`}
                            aria-expanded={sessionsOpen}
                            aria-controls={sessionsOpen ? sessionsId : undefined}
                            onClick={() => setOpenSessions(sessionsOpen ? null : member.userId)}
                          >
                            Sessions
                            <span aria-hidden="true">{sessionsOpen ? '▴' : '▾'}</span>
                          </button>
                        )}
                        {/* One button whose words change, so that the focus stays on it after the change. */}
                        <button
                          type="button"
                          aria-label={`${member.isActive ? 'Deactivate' : 'Reactivate'} ${name}`}
                          disabled={busy}
                          onClick={() =>
                            member.isActive && isOnlyActiveAdmin(member, list)
                              ? fail({ title: `Could not deactivate ${name}` })
                              : setPending({ kind: member.isActive ? 'deactivate' : 'reactivate', member })
                          }
                        >
                          {member.isActive ? 'Deactivate' : 'Reactivate'}
                        </button>
                        <button
                          type="button"
                          className="danger"
                          aria-label={`Remove ${name}`}
                          disabled={busy}
                          onClick={() => (isOnlyActiveAdmin(member, list) ? fail({ title: `Could not remove ${name}` }) : setPending({ kind: 'remove', member }))}
                        >
                          Remove
                        </button>
                      </div>
                    </td>
                  </tr>
                  {sessionsOpen && (
                    <tr className="member-sessions-row">
                      <td colSpan={5}>
                        <MemberSessions id={sessionsId} member={member} tenantName={tenantName} isMe={isMe} onEnded={report} onProblem={fail} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      )}

      <ConfirmDialog
        open={pending !== null}
        title={pending ? dialogTitle(pending, tenantName) : ''}
        confirmLabel={pending ? CONFIRM_LABEL[pending.kind] : ''}
        danger={pending?.kind !== 'reactivate'}
        busy={update.isPending || remove.isPending}
        onConfirm={() => {
          if (!pending) return;
          if (pending.kind === 'remove') void removeMember(pending.member);
          else if (pending.kind === 'own-role') void changeRole(pending.member, pending.role).then(() => setPending(null));
          else void setActive(pending.member, pending.kind === 'reactivate');
        }}
        onCancel={cancel}
      >
        {pending && <DialogBody pending={pending} tenantName={tenantName} isMe={pending.member.userId === me} />}
      </ConfirmDialog>
    </section>
  );
}

const CONFIRM_LABEL: Record<Pending['kind'], string> = {
  deactivate: 'Deactivate',
  reactivate: 'Reactivate',
  remove: 'Remove',
  'own-role': 'Change my role',
};

function dialogTitle(pending: Pending, tenantName: string): string {
  const name = nameOf(pending.member);
  switch (pending.kind) {
    case 'deactivate':
      return `Deactivate ${name}?`;
    case 'reactivate':
      return `Reactivate ${name}?`;
    case 'remove':
      return `Remove ${name} from ${tenantName}?`;
    case 'own-role':
      return `Make yourself ${aRole(pending.role)}?`;
  }
}

function DialogBody({ pending, tenantName, isMe }: { pending: Pending; tenantName: string; isMe: boolean }) {
  const name = nameOf(pending.member);
  switch (pending.kind) {
    case 'deactivate':
      return (
        <>
          <p>
            {name} can no longer use {tenantName}, and their sessions in {tenantName} end at once. Their membership and role are kept, so you can
            reactivate them later.
          </p>
          {isMe && <p>This includes your own session: you will be signed out.</p>}
        </>
      );
    case 'reactivate':
      return (
        <p>
          {name} can use {tenantName} again, as {aRole(pending.member.role)}.
        </p>
      );
    case 'remove':
      return (
        <>
          <p>
            Their membership of {tenantName} is deleted and their sessions in {tenantName} end at once. To let them back in, add them again by
            email.
          </p>
          {isMe && <p>You are removing yourself: you will be signed out.</p>}
        </>
      );
    case 'own-role':
      return (
        <p>
          As {aRole(pending.role)} you can no longer manage the members of {tenantName}, and this page closes for you. Only another admin can give
          the right back.
        </p>
      );
  }
}
