import type { InvitationView } from '@mreg/shared';

/** How the invitation page says why an invitation cannot be answered: a title and what to do. */

export interface Words {
  title: string;
  text: string;
}

/** Who to ask for a new link: the person who invited, else the tenant's admins. */
export const whoToAsk = (view: Pick<InvitationView, 'invitedBy' | 'tenantName'>) => view.invitedBy ?? `an admin of ${view.tenantName}`;

/** An invitation that is no longer open; `until` is its end, already formatted. */
export function closedWords(view: InvitationView & { status: Exclude<InvitationView['status'], 'pending'> }, until: string): Words {
  const tenant = view.tenantName;
  const ask = whoToAsk(view);
  switch (view.status) {
    case 'expired':
      return {
        title: 'This invitation has expired',
        text: `The invitation for ${view.email} to join ${tenant} ended on ${until}. Ask ${ask} for a new link.`,
      };
    case 'revoked':
      return {
        title: 'This invitation was revoked',
        text: `An admin of ${tenant} withdrew the invitation for ${view.email}, so its link no longer works. If you should still join ${tenant}, ask ${ask}.`,
      };
    case 'accepted':
      return {
        title: 'This invitation was used already',
        text: `The invitation for ${view.email} to join ${tenant} was accepted already, and an invitation link works only once. If it was you, ${tenant} is among your tenants: choose it at the top of the page.`,
      };
    case 'declined':
      return {
        title: 'This invitation was declined',
        text: `The invitation for ${view.email} to join ${tenant} was declined already, and an invitation link works only once. To join ${tenant} after all, ask ${ask} for a new invitation.`,
      };
  }
}

/** The link is for another address than the signed-in person's. */
export function notForYouWords(view: Pick<InvitationView, 'email' | 'yourEmail' | 'tenantName'>): Words {
  return {
    title: 'This invitation is for someone else',
    text: `This invitation to ${view.tenantName} is for ${view.email}, and you are signed in as ${view.yourEmail}: sign out and sign in as ${view.email} to accept it.`,
  };
}
