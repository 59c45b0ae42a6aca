import { useState } from 'react';
import type { InvitationLink } from '@mreg/shared';
import { InvitationLinkPanel } from './InvitationLinkPanel';
import { InviteForm } from './InviteForm';

/** The invite form, or in its place the link it just made (or resent) until Done; then the form again, ready for the next person. */
export function InviteSection({ tenantName, onStart }: { tenantName: string; onStart: () => void }) {
  const [made, setMade] = useState<{ link: InvitationLink; renewed: boolean } | null>(null);
  const [again, setAgain] = useState(false);
  if (made) {
    return (
      <InvitationLinkPanel
        made={made.link}
        renewed={made.renewed}
        tenantName={tenantName}
        onDone={() => {
          setMade(null);
          setAgain(true);
        }}
      />
    );
  }
  return <InviteForm tenantName={tenantName} focusEmail={again} onStart={onStart} onInvited={(link, renewed) => setMade({ link, renewed })} />;
}
