import { useState } from 'react';
import { signInHref, signOut, useSession } from './session';

/** The header's corner: who is signed in and a sign-out button, or a sign-in link. */
export function SessionBar() {
  const session = useSession();
  const [leaving, setLeaving] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  if (session.isPending) return <p className="session muted" aria-busy="true">Checking sign-in…</p>;
  if (session.signedOut) {
    return (
      <p className="session">
        <a className="button" href={signInHref()}>
          Sign in
        </a>
      </p>
    );
  }
  if (session.isError) return <p className="session error">Sign-in status unavailable</p>;

  const { user, tenantContext } = session.data;
  return (
    <div className="session">
      <span>
        <strong>{user.name}</strong>
        {tenantContext && (
          <span className="muted">
            {' '}
            · {tenantContext.tenantName} ({tenantContext.role})
          </span>
        )}
      </span>{' '}
      <button
        type="button"
        disabled={leaving}
        onClick={() => {
          setLeaving(true);
          setFailure(null);
          signOut().catch((error: Error) => {
            setFailure(error.message);
            setLeaving(false);
          });
        }}
      >
        {leaving ? 'Signing out…' : 'Sign out'}
      </button>
      {failure && (
        <span role="alert" className="error-inline">
          {' '}
          {failure}
        </span>
      )}
    </div>
  );
}
