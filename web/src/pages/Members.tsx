import { PageTitle } from '../components/PageTitle';

export function Members() {
  return <PageTitle title="Members" />;
}
