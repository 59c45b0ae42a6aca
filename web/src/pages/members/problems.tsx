import type { TenantMember } from '@mreg/shared';
import { errorMessage, errorReason } from '../../trpc';

/** A member as people know them: the name they chose, else the directory's. */
export const nameOf = (member: Pick<TenantMember, 'displayName' | 'name'>) => member.displayName ?? member.name;

export interface Problem {
  /** What failed: "Could not remove Uma Umarova". */
  title: string;
  /** The server's refusal; absent when the page saw the rule would refuse it and did not ask. */
  error?: unknown;
}

export const LAST_ADMIN_RULE = 'A tenant must keep at least one active admin. Make someone else an admin first, then change this person.';

/** True when `member` is the tenant's only active admin: the change would leave it without one. */
export function isOnlyActiveAdmin(member: TenantMember, members: readonly TenantMember[]): boolean {
  const admins = members.filter((other) => other.role === 'admin' && other.isActive);
  return admins.length === 1 && admins[0]!.userId === member.userId;
}

/** The rule behind the server's refusal, in plain words, for the membership conflicts it names (shared/errors.ts). */
function ruleFor(error: unknown): string | null {
  switch (errorReason(error)) {
    case 'last_admin':
      return LAST_ADMIN_RULE;
    case 'home_tenant':
      return 'This is their home tenant: their directory puts them here, so their next sign-in would bring a removed membership back. Deactivate them instead.';
    default:
      return null;
  }
}

/**
 * A refused change, explained. The rules the server enforces are said in plain words before its
 * own message, which names the person and tenant.
 */
export function ProblemBanner({ problem, onDismiss }: { problem: Problem; onDismiss: () => void }) {
  const { title, error } = problem;
  const rule = error === undefined ? LAST_ADMIN_RULE : ruleFor(error);
  return (
    <div role="alert" className="banner banner-error members-problem">
      <div className="members-problem-text">
        <p>
          <strong>{title}.</strong> {rule ?? errorMessage(error)}
        </p>
        {rule && error !== undefined && <p className="muted">The server said: {errorMessage(error)}.</p>}
      </div>
      <button type="button" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
