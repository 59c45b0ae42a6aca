import { PageTitle } from '../components/PageTitle';

export function Preferences() {
  return <PageTitle title="Preferences" />;
}
