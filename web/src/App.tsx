import { SessionBar } from './auth/SessionBar';
import { Dashboard } from './pages/Dashboard';
import { Home } from './pages/Home';

export function App() {
  const path = window.location.pathname;
  return (
    <main className="page">
      <header className="top">
        <div>
          <h1>
            <a href="/">MREG</a>
          </h1>
          <p className="lead">The MCP Registry Gateway: one place to sign in, pick a tenant and reach its MCP servers.</p>
        </div>
        <SessionBar />
      </header>
      <nav className="tabs" aria-label="Main">
        <a href="/" aria-current={path === '/' ? 'page' : undefined}>
          Home
        </a>
        <a href="/dashboard" aria-current={path === '/dashboard' ? 'page' : undefined}>
          Dashboard
        </a>
      </nav>
      {path === '/dashboard' ? <Dashboard /> : <Home />}
    </main>
  );
}
