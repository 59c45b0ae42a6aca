import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { EmptyState } from '../components/EmptyState';
import { LoadError } from '../components/LoadError';
import { PageTitle } from '../components/PageTitle';
import { Skeleton } from '../components/Skeleton';
import { errorMessage, useTRPC } from '../trpc';
import { Catalogue } from './servers/Catalogue';
import { useArrivalState, type SavedFlash } from './servers/flash';
import { GatewayOmitted, ServerAddress } from './servers/GatewayNotes';
import { NoSuchServer, isNoSuchServer } from './servers/NoSuchServer';
import { ServerActions, type Feedback } from './servers/ServerActions';
import { ServerOverview } from './servers/ServerOverview';
import { UsageSection } from './usage/UsageSection';
import { asSentence, discoverySentence } from './servers/words';
import './Servers.css';

type Notice = { message: string; tone: 'success' | 'warning' };

/** What the form's save came to, said once on arrival. */
function savedNotice(saved: SavedFlash): Notice {
  if (saved.kind === 'unchanged') return { message: `Nothing was changed: ${saved.name} is as it was.`, tone: 'success' };
  const what = saved.kind === 'created' ? `Added ${saved.name}` : `Saved the changes to ${saved.name}`;
  // An update that changed neither the URL nor the credential did not discover it again.
  if (!saved.discovered) return { message: `${what}.`, tone: 'success' };
  return saved.discovery.ok
    ? { message: `${what}. ${discoverySentence(saved.discovery)}`, tone: 'success' }
    : {
        message: `${what}, but it could not be reached: ${asSentence(saved.discovery.error)} The server is saved all the same; MREG keeps checking it, and Refresh tries again now.`,
        tone: 'warning',
      };
}

/** /servers/:id: one server's settings, health and catalogue; registry:write also acts on it. */
export function ServerPage({ id }: { id: string }) {
  const trpc = useTRPC();
  const auth = useEnhancedAuth();
  const detail = useQuery(trpc.registry.get.queryOptions({ id }));
  const { saved } = useArrivalState();
  const [notice, setNotice] = useState<Notice | null>(() => (saved ? savedNotice(saved) : null));
  const [problem, setProblem] = useState<{ title: string; error: unknown } | null>(null);
  const tenantName = auth.tenantContext?.tenantName ?? 'this tenant';

  const feedback: Feedback = {
    report: (message, tone = 'success') => {
      setProblem(null);
      setNotice({ message, tone });
    },
    fail: (title, error) => {
      setNotice(null);
      setProblem({ title, error });
    },
    clear: () => {
      setNotice(null);
      setProblem(null);
    },
  };

  if (detail.isError && isNoSuchServer(detail.error)) return <NoSuchServer />;
  const server = detail.data?.server;
  return (
    <section className="server-page">
      <p className="server-back">
        <Link href="/servers">← All servers</Link>
      </p>
      <PageTitle title={server?.name ?? 'Server'}>
        {server && (
          <>
            <code>{server.slug}</code> in {tenantName}
          </>
        )}
      </PageTitle>

      {/* The page's one live region, for what a save or an action came to. */}
      <div role="status" className={notice ? `banner banner-${notice.tone} server-notice` : undefined}>
        {notice && <p>{notice.message}</p>}
      </div>
      {problem && (
        <div role="alert" className="banner banner-error">
          <p>
            <strong>{problem.title}.</strong> {errorMessage(problem.error)}
          </p>
          <button type="button" onClick={() => setProblem(null)}>
            Dismiss
          </button>
        </div>
      )}

      {detail.isPending ? (
        <Skeleton lines={6} label="Loading the server…" />
      ) : detail.isError ? (
        <LoadError what="The server could not be loaded" error={detail.error} retry={() => detail.refetch()} />
      ) : (
        <>
          {auth.can('registry:write') && <ServerActions server={detail.data.server} feedback={feedback} tenantName={tenantName} />}
          <GatewayOmitted omitted={detail.data.gatewayOmitted} slug={detail.data.server.slug} />
          <ServerOverview detail={detail.data} />
          <ServerAddress server={detail.data.server} tenantName={tenantName} />
          <UsageSection serverId={detail.data.server.id} scope={`to ${detail.data.server.name}`} />
          {detail.data.catalogue ? (
            <Catalogue catalogue={detail.data.catalogue} slug={detail.data.server.slug} />
          ) : (
            <EmptyState title="Nothing discovered yet.">
              {detail.data.server.lastError
                ? `MREG could not reach it: ${asSentence(detail.data.server.lastError)}`
                : 'MREG has not reached this server yet, so it does not know its tools, resources and prompts.'}
              {auth.can('registry:write') && ' Refresh to try again now.'}
            </EmptyState>
          )}
        </>
      )}
    </section>
  );
}
