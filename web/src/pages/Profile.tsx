import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { PageTitle } from '../components/PageTitle';
import { AvatarSection } from './profile/AvatarSection';
import { DetailsForm } from './profile/DetailsForm';
import './Profile.css';

/** How the person appears to others: picture (when avatars are on), display name and bio. */
export function Profile() {
  const { user, userProfile, features } = useEnhancedAuth();
  if (!user) return null;
  const name = userProfile?.displayName ?? user.name;
  return (
    <div className="profile-page">
      <PageTitle title="Profile">How others see you in MREG.</PageTitle>
      {features?.avatarStorage && <AvatarSection name={name} avatarUrl={userProfile?.avatarUrl ?? null} />}
      <DetailsForm profile={userProfile} signInName={user.name} />
    </div>
  );
}
