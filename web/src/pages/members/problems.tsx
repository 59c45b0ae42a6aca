import { useTranslation } from 'react-i18next';
import type { TenantMember } from '@mreg/shared';
import { errorMessage, errorReason, reasonText } from '../../trpc';

/** A member as people know them: the name they chose, else the directory's. */
export const nameOf = (member: Pick<TenantMember, 'displayName' | 'name'>) => member.displayName ?? member.name;

export interface Problem {
  /** What failed: "Could not remove Uma Umarova". */
  title: string;
  /** The server's refusal. */
  error: unknown;
}

/** True when `member` is the tenant's only active admin: the change would leave it without one. */
export function isOnlyActiveAdmin(member: TenantMember, members: readonly TenantMember[]): boolean {
  const admins = members.filter((other) => other.role === 'admin' && other.isActive);
  return admins.length === 1 && admins[0]!.userId === member.userId;
}

/** The rule behind a refusal, in plain words, for the membership conflicts that have one (shared/errors.ts). */
function ruleFor(error: unknown): string | null {
  const reason = errorReason(error);
  return reason === 'last_admin' || reason === 'home_tenant' ? reasonText(reason) : null;
}

/**
 * A refused change, explained. The rules the server enforces are said in plain words first; its
 * own message, which names the person and tenant, follows when it says more than the rule.
 */
export function ProblemBanner({ problem, onDismiss }: { problem: Problem; onDismiss: () => void }) {
  const { t } = useTranslation('members');
  const { title, error } = problem;
  const rule = ruleFor(error);
  const said = errorMessage(error);
  return (
    <div role="alert" className="banner banner-error members-problem">
      <div className="members-problem-text">
        <p>
          <strong>{title}.</strong> {rule ?? said}
        </p>
        {rule && said !== rule && <p className="muted">{t('problem.serverSaid', { message: said })}</p>}
      </div>
      <button type="button" onClick={onDismiss}>
        {t('problem.dismiss')}
      </button>
    </div>
  );
}
