import { useId, useRef, useState, type ReactNode, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import type { TenantMember } from '@mreg/shared';
import { EmptyState } from '../../components/EmptyState';
import { filterMembers, isFiltered, NO_FILTER, type MemberFilter } from './filters';
import { MemberFilters } from './MemberFilters';
import { MemberRow } from './MemberRow';
import type { Feedback, MemberActions } from './useMemberActions';

interface MemberListProps {
  /** Everyone, in the order to show them; null while they load (or could not be). */
  members: TenantMember[] | null;
  /** What stands in the table's place while `members` is null: the skeleton, or the load error. */
  placeholder: ReactNode;
  tenantName: string;
  me: string | undefined;
  myAvatarUrl: string | null;
  canManageSessions: boolean;
  actions: MemberActions;
  feedback: Feedback;
  now: number;
  /** The list's heading, where focus goes when a removed member's row takes it away. */
  heading: RefObject<HTMLHeadingElement | null>;
}

/** The admin's table of members, narrowed by a search and filters, with a word when nothing matches. */
export function MemberList({ members, placeholder, tenantName, me, myAvatarUrl, canManageSessions, actions, feedback, now, heading }: MemberListProps) {
  const { t } = useTranslation('members');
  const [filter, setFilter] = useState<MemberFilter>(NO_FILTER);
  const [openSessions, setOpenSessions] = useState<string | null>(null);
  const headingId = useId();
  const search = useRef<HTMLInputElement>(null);
  const shown = filterMembers(members ?? [], filter);
  const filtered = isFiltered(filter);

  return (
    <section className="member-list" aria-labelledby={headingId}>
      <h2 id={headingId} ref={heading} tabIndex={-1}>
        {t('page.listHeading', { tenant: tenantName })}
        {members && <span className="muted members-count"> ({members.length})</span>}
      </h2>
      {members === null ? (
        placeholder
      ) : members.length === 0 ? (
        <EmptyState title={t('page.empty', { tenant: tenantName })}>{t('page.emptyHint')}</EmptyState>
      ) : (
        <>
          <MemberFilters filter={filter} onChange={setFilter} searchRef={search} />
          {/* Said as the list narrows, without moving the focus from the search. */}
          <p className="muted member-matches" aria-live="polite">
            {filtered ? t('filters.matching', { count: shown.length }) : ''}
          </p>
          {shown.length === 0 ? (
            <EmptyState title={filter.query.trim() ? t('filters.noMatchFor', { query: filter.query.trim() }) : t('filters.noMatch')}>
              <p>{t('filters.noMatchHint')}</p>
              <button
                type="button"
                onClick={() => {
                  setFilter(NO_FILTER);
                  // The button goes with the empty state: the search is where to go on from.
                  search.current?.focus();
                }}
              >
                {t('filters.clear')}
              </button>
            </EmptyState>
          ) : (
            <table className="table members-table" aria-label={t('page.listHeading', { tenant: tenantName })}>
              <thead>
                <tr>
                  <th scope="col">{t('table.member')}</th>
                  <th scope="col">{t('table.role')}</th>
                  <th scope="col">{t('table.status')}</th>
                  <th scope="col">{t('table.lastActive')}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t('table.actions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {shown.map((member) => {
                  const sessionsOpen = canManageSessions && openSessions === member.userId;
                  return (
                    <MemberRow
                      key={member.userId}
                      member={member}
                      tenantName={tenantName}
                      isMe={member.userId === me}
                      myAvatarUrl={myAvatarUrl}
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
        </>
      )}
    </section>
  );
}
