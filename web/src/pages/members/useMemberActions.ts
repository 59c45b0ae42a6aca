import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { effectivePermissions, type Role, type TenantMember } from '@mreg/shared';
import { count } from '../../components/useNow';
import { aRole } from '../../roles';
import { useTRPC } from '../../trpc';
import { isOnlyActiveAdmin, nameOf, type Problem } from './problems';

/** A change asked about first, in the confirmation dialog. */
export type PendingAction = { kind: 'deactivate' | 'reactivate' | 'remove'; member: TenantMember } | { kind: 'own-role'; member: TenantMember; role: Role };

/** Where the actions say how they went: the page's one live region, and its problem banner. */
export interface Feedback {
  report: (message: string) => void;
  fail: (problem: Problem) => void;
  clear: () => void;
}

interface MemberActionsOptions {
  /** The members as listed, for the only-admin rule. */
  members: readonly TenantMember[];
  /** The signed-in person's user id. */
  me: string | undefined;
  tenantName: string;
  feedback: Feedback;
  /** Called just before a removed member's row goes, which takes the focused button with it. */
  expectRefocus: () => void;
}

/**
 * What a row can do to a member: change the role, deactivate or reactivate, remove. Each action runs
 * its mutation, says how it went through `feedback`, and refreshes the list; those that cannot be
 * undone alone are asked first (`pending`, for the confirmation dialog).
 */
export function useMemberActions({ members, me, tenantName, feedback, expectRefocus }: MemberActionsOptions) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const update = useMutation(trpc.tenants.updateMember.mutationOptions());
  const remove = useMutation(trpc.tenants.removeMember.mutationOptions());
  const [pending, setPending] = useState<PendingAction | null>(null);
  // The role a select shows while the change is on its way; dropped, the select shows the stored role again.
  const [roleDraft, setRoleDraft] = useState<{ userId: string; role: Role } | null>(null);
  // A role picked in a row's select, not applied yet: arrowing through a closed select changes it at
  // every key press, and each change of rights must be meant. Kept here, not in the row, so that a
  // pick outlives the table while a failed refresh shows its error in its place.
  const [roleChoices, setRoleChoices] = useState<Record<string, Role>>({});
  const { report, fail } = feedback;
  const membersKey = trpc.tenants.members.queryKey();

  const replace = (member: TenantMember) =>
    queryClient.setQueryData(membersKey, (list) => list?.map((other) => (other.userId === member.userId ? member : other)));
  /** The list and any open sessions panel read again: after any change of a member, here or by the add form. */
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: membersKey });
    // A role, a deactivation or a removal changes (or ends) the member's sessions as well.
    void queryClient.invalidateQueries(trpc.tenants.memberSessions.pathFilter());
  };

  const changeRole = async (member: TenantMember, role: Role) => {
    setRoleDraft({ userId: member.userId, role });
    feedback.clear();
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
    // One change at a time per member.
    if (role === member.role || roleDraft?.userId === member.userId) return;
    // The server would refuse it (and say why); the page knows already, so nobody is asked first.
    if (role !== 'admin' && isOnlyActiveAdmin(member, members)) {
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

  return {
    refresh,
    applyRole,
    /** The role picked in the member's select and not applied yet, if any. */
    choice: (member: TenantMember): Role | undefined => roleChoices[member.userId],
    /** Picks a role in the member's select (null: forgets the pick). */
    choose: (member: TenantMember, role: Role | null) =>
      setRoleChoices(({ [member.userId]: _dropped, ...others }) => (role === null ? others : { ...others, [member.userId]: role })),
    /** The role a row's select shows while a change of it is on its way or asked about. */
    draftRole: (member: TenantMember): Role | undefined => (roleDraft?.userId === member.userId ? roleDraft.role : undefined),
    /** A change of this member is on its way: their buttons wait. */
    isBusy: (member: TenantMember) =>
      (update.isPending && update.variables.userId === member.userId) || (remove.isPending && remove.variables.userId === member.userId),
    toggleActive: (member: TenantMember) =>
      member.isActive && isOnlyActiveAdmin(member, members)
        ? fail({ title: `Could not deactivate ${nameOf(member)}` })
        : setPending({ kind: member.isActive ? 'deactivate' : 'reactivate', member }),
    askRemove: (member: TenantMember) =>
      isOnlyActiveAdmin(member, members) ? fail({ title: `Could not remove ${nameOf(member)}` }) : setPending({ kind: 'remove', member }),

    /** The change the confirmation dialog asks about, if any. */
    pending,
    confirming: update.isPending || remove.isPending,
    confirm: () => {
      if (!pending) return;
      if (pending.kind === 'remove') void removeMember(pending.member);
      else if (pending.kind === 'own-role') void changeRole(pending.member, pending.role).then(() => setPending(null));
      else void setActive(pending.member, pending.kind === 'reactivate');
    },
    cancel: () => {
      if (pending?.kind === 'own-role') setRoleDraft(null);
      setPending(null);
    },
  };
}

export type MemberActions = ReturnType<typeof useMemberActions>;
