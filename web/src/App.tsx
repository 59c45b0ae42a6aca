import { lazy, Suspense, useEffect, useRef } from 'react';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useEnhancedAuth } from './auth/EnhancedAuthProvider';
import { RequireAuth } from './auth/guards';
import { LoadError } from './components/LoadError';
import { PageBoundary } from './components/PageBoundary';
import { Skeleton } from './components/Skeleton';
import { DevSignInBanner } from './layout/DevSignInBanner';
import { ExpiryBanner } from './layout/ExpiryBanner';
import { navItems } from './layout/nav';
import { TenantSwitcher } from './layout/TenantSwitcher';
import { UserMenu } from './layout/UserMenu';
import { NotFound } from './pages/NotFound';
import { SignIn } from './pages/SignIn';
import { useApplyLanguage, useApplyTheme } from './prefs/usePreferences';
import { useTRPC } from './trpc';

/** Every page but sign-in is its own chunk, fetched when first opened: the sign-in page loads only the app's frame and itself. */
const ApiKeys = lazy(() => import('./pages/ApiKeys').then((m) => ({ default: m.ApiKeys })));
const Audit = lazy(() => import('./pages/Audit').then((m) => ({ default: m.Audit })));
const Dashboard = lazy(() => import('./pages/Dashboard').then((m) => ({ default: m.Dashboard })));
const Invitation = lazy(() => import('./pages/Invitation').then((m) => ({ default: m.Invitation })));
const Members = lazy(() => import('./pages/Members').then((m) => ({ default: m.Members })));
const OAuthConsent = lazy(() => import('./pages/OAuthConsent').then((m) => ({ default: m.OAuthConsent })));
const Preferences = lazy(() => import('./pages/Preferences').then((m) => ({ default: m.Preferences })));
const Profile = lazy(() => import('./pages/Profile').then((m) => ({ default: m.Profile })));
const AddServer = lazy(() => import('./pages/ServerEditor').then((m) => ({ default: m.AddServer })));
const EditServer = lazy(() => import('./pages/ServerEditor').then((m) => ({ default: m.EditServer })));
const ServerPage = lazy(() => import('./pages/ServerPage').then((m) => ({ default: m.ServerPage })));
const Servers = lazy(() => import('./pages/Servers').then((m) => ({ default: m.Servers })));
const Sessions = lazy(() => import('./pages/Sessions').then((m) => ({ default: m.Sessions })));

/** Each move to another page asks the server again who is signed in: a revoked session shows at once. */
function useRecheckOnNavigation(location: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    void queryClient.invalidateQueries({ queryKey: trpc.auth.user.queryKey() });
  }, [location, queryClient, trpc]);
}

function Header() {
  const auth = useEnhancedAuth();
  const [location] = useLocation();
  const { t } = useTranslation();
  const items = auth.isAuthenticated ? navItems(auth) : [];
  const nav = useRef<HTMLElement>(null);
  // On a phone the links scroll sideways: the current page's is brought into sight.
  useEffect(() => {
    nav.current?.querySelector('[aria-current]')?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [location, items.length]);
  return (
    <header className="header">
      <div className="header-row">
        <Link href={auth.isAuthenticated ? '/dashboard' : '/'} className="brand">
          MREG
        </Link>
        {auth.isAuthenticated && (
          <div className="header-end">
            <TenantSwitcher />
            <UserMenu items={items} />
          </div>
        )}
      </div>
      {items.length > 0 && (
        <nav ref={nav} aria-label={t('app.mainNav')} className="nav">
          <ul>
            {items.map((item) => (
              <li key={item.path}>
                {/* A page under a section (a server's page under Servers) marks the section too. */}
                <Link href={item.path} aria-current={location === item.path ? 'page' : location.startsWith(`${item.path}/`) ? 'true' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      )}
    </header>
  );
}

export function App() {
  const auth = useEnhancedAuth();
  const [location] = useLocation();
  const { t } = useTranslation();
  useApplyTheme();
  useApplyLanguage();
  useRecheckOnNavigation(location);
  return (
    <>
      <a href="#main" className="skip-link">
        {t('app.skipLink')}
      </a>
      <Header />
      <DevSignInBanner />
      <ExpiryBanner />
      <main id="main" className="main">
        {auth.error && auth.isAuthenticated && <LoadError what={t('app.accountRefreshFailed')} error={auth.error} retry={auth.retry} />}
        {/* Keyed by tenant: a switch starts every page afresh, so nothing of the last tenant stays. */}
        <PageBoundary key={location}>
          <Suspense fallback={<Skeleton lines={4} />}>
            <Switch key={auth.tenantContext?.tenantId ?? 'none'}>
              <Route path="/">{auth.isAuthenticated ? <Redirect to="/dashboard" replace /> : <SignIn />}</Route>
              <Route path="/sign-in" component={SignIn} />
              <Route path="/dashboard">
                <RequireAuth>
                  <Dashboard />
                </RequireAuth>
              </Route>
              <Route path="/servers">
                <RequireAuth permission="registry:read">
                  <Servers />
                </RequireAuth>
              </Route>
              <Route path="/servers/new">
                <RequireAuth permission="registry:write">
                  <AddServer />
                </RequireAuth>
              </Route>
              <Route path="/servers/:id/edit">
                {(params) => (
                  <RequireAuth permission="registry:write">
                    <EditServer key={params.id} id={params.id} />
                  </RequireAuth>
                )}
              </Route>
              <Route path="/servers/:id">
                {(params) => (
                  <RequireAuth permission="registry:read">
                    <ServerPage key={params.id} id={params.id} />
                  </RequireAuth>
                )}
              </Route>
              <Route path="/api-keys">
                <RequireAuth>
                  <ApiKeys />
                </RequireAuth>
              </Route>
              <Route path="/profile">
                <RequireAuth feature="userProfiles">
                  <Profile />
                </RequireAuth>
              </Route>
              <Route path="/preferences">
                <RequireAuth feature="userProfiles">
                  <Preferences />
                </RequireAuth>
              </Route>
              <Route path="/sessions">
                <RequireAuth feature="sessionManagement">
                  <Sessions />
                </RequireAuth>
              </Route>
              <Route path="/members">
                <RequireAuth feature="roleBasedUi" permission="members:read">
                  <Members />
                </RequireAuth>
              </Route>
              <Route path="/audit">
                <RequireAuth permission="audit:read">
                  <Audit />
                </RequireAuth>
              </Route>
              {/* Where /authorize sends the person; signed out, sign-in comes back here with the request. */}
              <Route path="/oauth/consent">
                <RequireAuth>
                  <OAuthConsent />
                </RequireAuth>
              </Route>
              {/* An invitation link (issue 22); signed out, sign-in comes back here. */}
              <Route path="/invitations/:token">
                {(params) => (
                  <RequireAuth>
                    <Invitation key={params.token} token={params.token} />
                  </RequireAuth>
                )}
              </Route>
              <Route component={NotFound} />
            </Switch>
          </Suspense>
        </PageBoundary>
      </main>
    </>
  );
}
