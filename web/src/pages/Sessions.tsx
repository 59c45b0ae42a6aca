import { PageTitle } from '../components/PageTitle';

export function Sessions() {
  return <PageTitle title="Sessions" />;
}
