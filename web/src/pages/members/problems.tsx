import { ROLES, type Role, type TenantMember } from '@mreg/shared';
import { errorCode, errorMessage } from '../../trpc';

/** A member as people know them: the name they chose, else the directory's. */
export const nameOf = (member: Pick<TenantMember, 'displayName' | 'name'>) => member.displayName ?? member.name;

/** The roles to choose from, least rights first. */
export const ROLE_OPTIONS = [...ROLES].reverse();

export const ROLE_LABEL: Record<Role, string> = { admin: 'Admin', member: 'Member', viewer: 'Viewer' };

/** "an admin", "a member", "a viewer". */
export const aRole = (role: Role) => (role === 'admin' ? 'an admin' : `a ${role}`);

// The server's words for its two membership conflicts (tenants.service.ts: keepAnAdmin, removeMember).
const isLastAdmin = (error: unknown) => errorCode(error) === 'CONFLICT' && /last active admin/i.test(errorMessage(error));
const isHomeTenant = (error: unknown) => errorCode(error) === 'CONFLICT' && /home tenant/i.test(errorMessage(error));

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

/**
 * A refused change, explained. The rules the server enforces are said in plain words before its
 * own message, which names the person and tenant.
 */
export function ProblemBanner({ problem, onDismiss }: { problem: Problem; onDismiss: () => void }) {
  const { title, error } = problem;
  let rule: string | null = null;
  if (error === undefined || isLastAdmin(error)) {
    rule = LAST_ADMIN_RULE;
  } else if (isHomeTenant(error)) {
    rule = 'This is their home tenant: their directory puts them here, so their next sign-in would bring a removed membership back. Deactivate them instead.';
  }
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
