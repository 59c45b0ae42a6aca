import type { ServerDetail } from '@mreg/shared';
import { useNow } from '../../components/useNow';
import { useFormatters } from '../../prefs/usePreferences';
import { StatusBadge } from './StatusBadge';
import { describeAuth, duration, STATUS_MEANING } from './words';

/** When: "3 minutes ago", the date on hover; or what to say when it never happened. */
function When({ iso, never }: { iso: string | null; never: string }) {
  const format = useFormatters();
  const now = useNow();
  if (!iso) return <span className="muted">{never}</span>;
  return (
    <time dateTime={iso} title={format.dateTime(iso)}>
      {format.relative(iso, now)}
    </time>
  );
}

/** A server's settings, health and what its catalogue came from, as facts. */
export function ServerOverview({ detail }: { detail: ServerDetail }) {
  const { server, catalogue, health } = detail;
  return (
    <div className="server-overview">
      <section className="card" aria-labelledby="server-settings">
        <h2 id="server-settings">Settings</h2>
        <dl className="facts server-facts">
          <dt>URL</dt>
          <dd>
            <code>{server.url}</code>
          </dd>
          <dt>Slug</dt>
          <dd>
            <code>{server.slug}</code>
          </dd>
          <dt>Authentication</dt>
          <dd>{describeAuth(server.auth)}</dd>
          <dt>Description</dt>
          <dd className="catalogue-text">{server.description ?? <span className="muted">Not set</span>}</dd>
        </dl>
      </section>
      <section className="card" aria-labelledby="server-health">
        <h2 id="server-health">Health</h2>
        <dl className="facts server-facts">
          <dt>Status</dt>
          <dd>
            <StatusBadge status={server.status} /> <span className="muted">{STATUS_MEANING[server.status]}</span>
          </dd>
          <dt>Last check</dt>
          <dd>
            <When iso={server.lastCheckedAt} never="Never" />
          </dd>
          <dt>Last success</dt>
          <dd>
            <When iso={health.lastSuccessAt} never="Never" />
          </dd>
          <dt>Failures in a row</dt>
          <dd>{health.consecutiveFailures}</dd>
          <dt>Latency</dt>
          <dd>{health.latencyMs === null ? <span className="muted">Not measured yet</span> : duration(health.latencyMs)}</dd>
          {server.lastError && (
            <>
              <dt>Last error</dt>
              <dd className="server-error">{server.lastError}</dd>
            </>
          )}
          <dt>Catalogue fetched</dt>
          <dd>
            <When iso={catalogue?.fetchedAt ?? null} never="Not yet" />
          </dd>
          {catalogue && (
            <>
              <dt>Upstream</dt>
              <dd>
                {catalogue.serverInfo.title ?? catalogue.serverInfo.name} {catalogue.serverInfo.version}
                <span className="muted"> · MCP {catalogue.protocolVersion}</span>
              </dd>
            </>
          )}
        </dl>
      </section>
    </div>
  );
}
