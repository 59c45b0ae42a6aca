import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { AuditEvent } from '@mreg/shared';
import { useEnhancedAuth } from '../../auth/EnhancedAuthProvider';
import { useTRPC } from '../../trpc';

/** Someone the log can be narrowed to. */
export interface Person {
  userId: string;
  name: string;
  email: string | null;
}

/**
 * Whom the person filter offers: the tenant's members for those who may list them (tenants.members
 * is for members:manage), and everyone who acted in the events loaded so far (people who have left
 * included); the chosen one always, even before their events are loaded.
 */
export function usePeople(events: readonly AuditEvent[], chosen: string | null): { people: Person[]; fromMembers: boolean } {
  const { t } = useTranslation('audit');
  const trpc = useTRPC();
  const auth = useEnhancedAuth();
  const fromMembers = auth.features?.roleBasedUi === true && auth.can('members:manage');
  const members = useQuery(trpc.tenants.members.queryOptions(undefined, { enabled: fromMembers }));

  const byId = new Map<string, Person>();
  for (const member of members.data ?? []) {
    byId.set(member.userId, { userId: member.userId, name: member.displayName ?? member.name, email: member.email });
  }
  for (const { actor } of events) {
    if (actor.userId && !byId.has(actor.userId)) byId.set(actor.userId, { userId: actor.userId, name: actor.name ?? actor.email ?? actor.userId, email: actor.email });
  }
  if (chosen && !byId.has(chosen)) byId.set(chosen, { userId: chosen, name: t('filters.unknownPerson', { id: chosen }), email: null });
  const people = [...byId.values()].sort((a, b) => a.name.localeCompare(b.name) || (a.email ?? '').localeCompare(b.email ?? ''));
  return { people, fromMembers: fromMembers && members.isSuccess };
}
