import { useTranslation } from 'react-i18next';
import type { ReactNode } from 'react';
import { Redirect } from 'wouter';
import type { Features, Permission } from '@mreg/shared';
import { LoadError } from '../components/LoadError';
import { Skeleton } from '../components/Skeleton';
import { NotAllowed } from '../pages/NotAllowed';
import { NotFound } from '../pages/NotFound';
import { useEnhancedAuth } from './EnhancedAuthProvider';
import { currentLocation, signInPagePath, wasSignedIn } from './navigation';

type FeatureSwitch = Exclude<keyof Features, 'preferencesStorage' | 'signIn'>;

interface RequireAuthProps {
  children: ReactNode;
  /** A feature the page belongs to: switched off on the server, the page does not exist. */
  feature?: FeatureSwitch;
  /** A right the page needs in the active tenant: without it, a "not allowed" page. */
  permission?: Permission;
}

/** A page that needs a session (and maybe a feature and a right); else the sign-in page, and back. */
export function RequireAuth({ children, feature, permission }: RequireAuthProps) {
  const auth = useEnhancedAuth();
  const { t } = useTranslation();
  if (auth.isLoading || (feature && !auth.features && !auth.error)) return <Skeleton lines={4} />;
  if (feature && !auth.features) return <LoadError what={t('app.settingsLoadFailed')} error={auth.error} retry={auth.retry} />;
  // Signed in, a failed refresh is a banner above the page (App), not a reason to drop what is on it.
  if (auth.error && !auth.isAuthenticated) return <LoadError what={t('app.accountLoadFailed')} error={auth.error} retry={auth.retry} />;
  // Signed in when this browser last looked, and not signed out since: the session ended, and the sign-in page says so.
  if (!auth.isAuthenticated) return <Redirect to={signInPagePath(currentLocation(), wasSignedIn() ? 'ended' : undefined)} replace />;
  if (feature && !auth.features?.[feature]) return <NotFound />;
  if (permission && !auth.can(permission)) return <NotAllowed permission={permission} />;
  return children;
}
