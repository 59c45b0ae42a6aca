import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { Role, TenantMember } from '@mreg/shared';
import { useTRPC } from '../../trpc';
import { isOnlyActiveAdmin, nameOf, type Problem } from './problems';

type ActionKind = 'role' | 'deactivate' | 'reactivate' | 'remove';
/** A change asked about first, in its dialog: a new role (RoleDialog), or one the confirmation dialog asks about. */
export type PendingAction = { [K in ActionKind]: { kind: K; member: TenantMember } }[ActionKind];

/** Where the actions say how they went: the page's one live region, and its problem banner. */
export interface Feedback {
  report: (message: string) => void;
  fail: (problem: Problem) => void;
  clear: () => void;
}

interface MemberActionsOptions {
  /** All the members (not only those a filter shows), for the only-admin rule. */
  members: readonly TenantMember[];
  /** The signed-in person's user id. */
  me: string | undefined;
  tenantName: string;
  feedback: Feedback;
  /** Called just before a removed member's row goes, which takes the focused button with it. */
  expectRefocus: () => void;
}

/**
 * What a row's menu can do to a member: change the role, deactivate or reactivate, remove. Each
 * is asked first in a dialog (`pending`), runs its mutation, says how it went through `feedback`,
 * and refreshes the list. The tenant's only active admin can do none of these to themselves
 * (`locked`): the page says so before anyone tries, and the server would refuse it anyway.
 */
export function useMemberActions({ members, me, tenantName, feedback, expectRefocus }: MemberActionsOptions) {
  const { t } = useTranslation('members');
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const update = useMutation(trpc.tenants.updateMember.mutationOptions());
  const remove = useMutation(trpc.tenants.removeMember.mutationOptions());
  const [pending, setPending] = useState<PendingAction | null>(null);
  const { report, fail } = feedback;
  const membersKey = trpc.tenants.members.queryKey();
  const aRole = (role: Role) => t(`aRole.${role}`);

  const replace = (member: TenantMember) =>
    queryClient.setQueryData(membersKey, (list) => list?.map((other) => (other.userId === member.userId ? member : other)));
  /** The list and any open sessions panel read again: after any change of a member, here or by the add form. */
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: membersKey });
    // A role, a deactivation or a removal changes (or ends) the member's sessions as well.
    void queryClient.invalidateQueries(trpc.tenants.memberSessions.pathFilter());
    void queryClient.invalidateQueries(trpc.tenants.directory.pathFilter());
  };

  const changeRole = async (member: TenantMember, role: Role) => {
    feedback.clear();
    try {
      const updated = await update.mutateAsync({ userId: member.userId, role });
      replace(updated);
      report(t('outcome.roleChanged', { name: nameOf(updated), role: aRole(updated.role) }));
      // My own rights changed: the menus, and which view of this page is mine, follow.
      if (updated.userId === me) void queryClient.invalidateQueries({ queryKey: trpc.auth.user.queryKey() });
    } catch (error) {
      fail({ title: t('outcome.roleFailed', { name: nameOf(member) }), error });
    }
    setPending(null);
    refresh();
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
          ? t('outcome.reactivated', { name, tenant: tenantName, role: aRole(updated.role) })
          : t('outcome.deactivated', { name, tenant: tenantName }),
      );
    } catch (error) {
      fail({ title: t(isActive ? 'outcome.reactivateFailed' : 'outcome.deactivateFailed', { name }), error });
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
      report(t('outcome.removed', { name, count: sessionsEnded }));
    } catch (error) {
      fail({ title: t('outcome.removeFailed', { name }), error });
    }
    setPending(null);
    refresh();
  };

  return {
    refresh,
    /** The tenant's only active admin: no change of role, state or membership for them. */
    locked: (member: TenantMember) => member.isActive && isOnlyActiveAdmin(member, members),
    /** A change of this member is on its way: their menu waits. */
    isBusy: (member: TenantMember) =>
      (update.isPending && update.variables.userId === member.userId) || (remove.isPending && remove.variables.userId === member.userId),
    ask: (kind: ActionKind, member: TenantMember) => {
      feedback.clear();
      setPending({ kind, member } as PendingAction);
    },

    /** The change a dialog asks about, if any. */
    pending,
    working: update.isPending || remove.isPending,
    changeRole: (role: Role) => {
      if (pending?.kind === 'role') void changeRole(pending.member, role);
    },
    confirm: () => {
      if (!pending) return;
      if (pending.kind === 'remove') void removeMember(pending.member);
      else if (pending.kind !== 'role') void setActive(pending.member, pending.kind === 'reactivate');
    },
    cancel: () => setPending(null),
  };
}

export type MemberActions = ReturnType<typeof useMemberActions>;
