import { Link } from 'wouter';
import { PageTitle } from '../components/PageTitle';

export function NotFound() {
  return (
    <section>
      <PageTitle title="Page not found">There is no page at {window.location.pathname} here.</PageTitle>
      <p>
        <Link href="/dashboard" className="button">
          Go to the dashboard
        </Link>
      </p>
    </section>
  );
}
