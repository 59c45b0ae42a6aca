import type { TFunction } from 'i18next';
import type { InvitationView } from '@mreg/shared';

/** How the invitation page says why an invitation cannot be answered: a title and what to do, in the app's language. */

export interface Words {
  title: string;
  text: string;
}

type T = TFunction<'members'>;

/** Who to ask for a new link: the person who invited, else the tenant's admins. */
export const whoToAsk = (t: T, view: Pick<InvitationView, 'invitedBy' | 'tenantName'>) => view.invitedBy ?? t('invitation.anAdmin', { tenant: view.tenantName });

/** An invitation that is no longer open; `until` is its end, already formatted. */
export function closedWords(t: T, view: InvitationView & { status: Exclude<InvitationView['status'], 'pending'> }, until: string): Words {
  const values = { email: view.email, tenant: view.tenantName, ask: whoToAsk(t, view), until };
  return { title: t(`invitation.closed.${view.status}.title`), text: t(`invitation.closed.${view.status}.text`, values) };
}

/** The link is for another address than the signed-in person's. */
export function notForYouWords(t: T, view: Pick<InvitationView, 'email' | 'yourEmail' | 'tenantName'>): Words {
  return {
    title: t('invitation.notForYou.title'),
    text: t('invitation.notForYou.text', { tenant: view.tenantName, email: view.email, yourEmail: view.yourEmail }),
  };
}
