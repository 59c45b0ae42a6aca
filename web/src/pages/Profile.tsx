import { PageTitle } from '../components/PageTitle';

export function Profile() {
  return <PageTitle title="Profile" />;
}
