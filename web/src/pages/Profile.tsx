import { useTranslation } from 'react-i18next';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { PageTitle } from '../components/PageTitle';
import { AvatarSection } from './profile/AvatarSection';
import { DetailsForm } from './profile/DetailsForm';
import './Profile.css';

/** How the person appears to others: picture (when avatars are on), display name and bio. */
export function Profile() {
  const { user, userProfile, features } = useEnhancedAuth();
  const { t } = useTranslation('profile');
  if (!user) return null;
  const name = userProfile?.displayName ?? user.name;
  return (
    <div className="profile-page">
      <PageTitle title={t('title')}>{t('lead')}</PageTitle>
      {features?.avatarStorage && <AvatarSection name={name} avatarUrl={userProfile?.avatarUrl ?? null} />}
      <DetailsForm profile={userProfile} signInName={user.name} />
    </div>
  );
}
