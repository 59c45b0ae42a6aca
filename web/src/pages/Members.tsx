import { useTranslation } from 'react-i18next';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { MemberAdmin } from './members/MemberAdmin';
import { MemberDirectory } from './members/MemberDirectory';
import './Members.css';

/**
 * /members, for everyone with members:read: who is in the active tenant. Those who may manage its
 * members (members:manage) get the whole administration; the others a read-only directory that
 * names whom to ask.
 */
export function Members() {
  const { t } = useTranslation('members');
  const auth = useEnhancedAuth();
  const tenantName = auth.tenantContext?.tenantName ?? t('page.thisTenant');
  return auth.can('members:manage') ? <MemberAdmin tenantName={tenantName} /> : <MemberDirectory tenantName={tenantName} />;
}
