import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useEnhancedAuth } from '../../auth/EnhancedAuthProvider';
import { LoadError } from '../../components/LoadError';
import { PageTitle } from '../../components/PageTitle';
import { Skeleton } from '../../components/Skeleton';
import { useNow } from '../../components/useNow';
import { useRefocus } from '../../components/useRefocus';
import { useTRPC } from '../../trpc';
import { AddMemberForm } from './AddMemberForm';
import { InviteSection } from './InviteSection';
import { MemberActionDialog } from './MemberActionDialog';
import { MemberList } from './MemberList';
import { PendingInvitations } from './PendingInvitations';
import { nameOf, ProblemBanner, type Problem } from './problems';
import { useMemberActions, type Feedback } from './useMemberActions';

/**
 * The active tenant's members, for those with members:manage: invite anyone (a link to send), add
 * someone MREG knows, find members, change role, deactivate, remove, end sessions; and the pending
 * invitations.
 */
export function MemberAdmin({ tenantName }: { tenantName: string }) {
  const { t } = useTranslation('members');
  const trpc = useTRPC();
  const auth = useEnhancedAuth();
  const now = useNow();
  const members = useQuery(trpc.tenants.members.queryOptions());
  const [notice, setNotice] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const me = auth.user?.id;

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
  // state changed would take the keyboard focus on its menu button away with it.
  const list = members.data
    ? [...members.data].sort((a, b) => nameOf(a).localeCompare(nameOf(b)) || a.email.localeCompare(b.email) || a.userId.localeCompare(b.userId))
    : null;
  return (
    <section className="members-page">
      <PageTitle title={t('page.title')}>{t('page.lead', { tenant: tenantName })}</PageTitle>

      <InviteSection tenantName={tenantName} onStart={() => feedback.clear()} />

      <AddMemberForm
        // A message about the last action would stand beside this one's outcome as if it were it.
        onStart={() => setNotice(null)}
        onAdded={(member) => {
          feedback.report(t('outcome.added', { name: nameOf(member), email: member.email, tenant: tenantName, role: t(`aRole.${member.role}`) }));
          actions.refresh();
        }}
      />

      {/* The page's one live region, under the form and above the list, for what either of them did. */}
      <div role="status" className={notice ? 'banner banner-success members-notice' : undefined}>
        {notice && <p>{notice}</p>}
      </div>
      {problem && <ProblemBanner problem={problem} onDismiss={() => setProblem(null)} />}

      <MemberList
        members={list}
        placeholder={
          members.isError ? (
            <LoadError what={t('page.loadFailed')} error={members.error} retry={() => members.refetch()} />
          ) : (
            <Skeleton lines={5} label={t('page.loading')} />
          )
        }
        tenantName={tenantName}
        me={me}
        myAvatarUrl={auth.userProfile?.avatarUrl ?? null}
        canManageSessions={auth.can('sessions:manage')}
        actions={actions}
        feedback={feedback}
        now={now}
        heading={listHeading}
      />

      <PendingInvitations tenantName={tenantName} />

      <MemberActionDialog actions={actions} tenantName={tenantName} me={me} />
    </section>
  );
}
