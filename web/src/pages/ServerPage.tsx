import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Trans, useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { useEnhancedAuth } from '../auth/EnhancedAuthProvider';
import { EmptyState } from '../components/EmptyState';
import { LoadError } from '../components/LoadError';
import { PageTitle } from '../components/PageTitle';
import { Skeleton } from '../components/Skeleton';
import { i18n } from '../i18n';
import { useLanguage } from '../prefs/usePreferences';
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

const say = i18n.getFixedT(null, 'servers');

/** What the form's save came to, said once on arrival, in the app's language and the person's `locale`. */
function savedNotice(saved: SavedFlash, locale: string): Notice {
  const name = saved.name;
  if (saved.kind === 'unchanged') return { message: say('saved.unchanged', { name }), tone: 'success' };
  const what = say(saved.kind === 'created' ? 'saved.created' : 'saved.updated', { name });
  // An update that changed neither the URL nor the credential did not discover it again.
  if (!saved.discovered) return { message: what, tone: 'success' };
  return saved.discovery.ok
    ? { message: `${what} ${discoverySentence(saved.discovery, locale)}`, tone: 'success' }
    : {
        message: say(saved.kind === 'created' ? 'saved.createdUnreachable' : 'saved.updatedUnreachable', { name, error: asSentence(saved.discovery.error) }),
        tone: 'warning',
      };
}

/** /servers/:id: one server's settings, health and catalogue; registry:write also acts on it. */
export function ServerPage({ id }: { id: string }) {
  const { t } = useTranslation('servers');
  const { locale } = useLanguage();
  const trpc = useTRPC();
  const auth = useEnhancedAuth();
  const detail = useQuery(trpc.registry.get.queryOptions({ id }));
  const { saved } = useArrivalState();
  const [notice, setNotice] = useState<Notice | null>(() => (saved ? savedNotice(saved, locale) : null));
  const [problem, setProblem] = useState<{ title: string; error: unknown } | null>(null);
  const tenantName = auth.tenantContext?.tenantName ?? t('thisTenant');
  const canWrite = auth.can('registry:write');

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
        <Link href="/servers">{t('page.back')}</Link>
      </p>
      <PageTitle title={server?.name ?? t('page.titleFallback')}>
        {server && <Trans t={t} i18nKey="page.inTenant" values={{ slug: server.slug, tenant: tenantName }} components={{ code: <code /> }} />}
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
            {t('dismiss')}
          </button>
        </div>
      )}

      {detail.isPending ? (
        <Skeleton lines={6} label={t('loadingServer')} />
      ) : detail.isError ? (
        <LoadError what={t('serverLoadError')} error={detail.error} retry={() => detail.refetch()} />
      ) : (
        <>
          {canWrite && <ServerActions server={detail.data.server} feedback={feedback} tenantName={tenantName} />}
          <GatewayOmitted omitted={detail.data.gatewayOmitted} slug={detail.data.server.slug} />
          <ServerOverview detail={detail.data} />
          <ServerAddress server={detail.data.server} tenantName={tenantName} />
          <UsageSection serverId={detail.data.server.id} scope={t('page.usageScope', { name: detail.data.server.name })} />
          {detail.data.catalogue ? (
            <Catalogue catalogue={detail.data.catalogue} slug={detail.data.server.slug} />
          ) : (
            <EmptyState title={t('page.nothingTitle')}>
              {detail.data.server.lastError
                ? t('page.nothingUnreachable', { error: asSentence(detail.data.server.lastError) })
                : t('page.nothingYet')}
              {canWrite && ` ${t('page.refreshHint')}`}
            </EmptyState>
          )}
        </>
      )}
    </section>
  );
}
