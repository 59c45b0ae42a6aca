import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';

/**
 * On every page while the development sign-in is served beyond loopback (MREG_DEV_SIGN_IN=true):
 * anyone who reaches this server can sign in as any demo user, so nothing here is private.
 */
export function DevSignInBanner() {
  const auth = useEnhancedAuth();
  if (!auth.features?.devSignInOpen) return null;
  return (
    <aside aria-label="Development sign-in" className="banner banner-warning" data-testid="dev-sign-in-banner">
      <p>
        <strong>Development sign-in is open:</strong> anyone who can reach this server can sign in as any demo person, admins
        included, without a password. Do not keep real data here. Its operator turns this off by configuring Microsoft Entra ID.
      </p>
    </aside>
  );
}
