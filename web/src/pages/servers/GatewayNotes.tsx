import { GATEWAY_NAME_MAX_LENGTH, gatewayName, type GatewayOmission, type Server } from '@mreg/shared';
import { Trans, useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { CopyField } from '../../components/Copy';
import { useLanguage } from '../../prefs/usePreferences';
import { mcpUrl } from './connect';

/** What /mcp leaves out of this server, and why: names that the slug makes longer than MCP clients take. */
export function GatewayOmitted({ omitted, slug }: { omitted: GatewayOmission[]; slug: string }) {
  const { t } = useTranslation('servers');
  const { locale } = useLanguage();
  if (omitted.length === 0) return null;
  const tools = omitted.filter((item) => item.kind === 'tool').length;
  const prompts = omitted.length - tools;
  const what = new Intl.ListFormat(locale, { type: 'conjunction' }).format(
    [tools > 0 && t('count.tools', { count: tools, locale }), prompts > 0 && t('count.prompts', { count: prompts, locale })].filter(
      (part): part is string => typeof part === 'string',
    ),
  );
  const code = <code />;
  return (
    <section className="banner banner-warning server-omitted" aria-labelledby="server-omitted-title">
      <h2 id="server-omitted-title">{t('gateway.omittedTitle', { what })}</h2>
      <ul>
        {omitted.map((item) => (
          <li key={`${item.kind}:${item.name}`}>
            <Trans
              t={t}
              i18nKey={item.reason === 'needs_tasks' ? 'gateway.needsTasks' : item.kind === 'tool' ? 'gateway.toolTooLong' : 'gateway.promptTooLong'}
              values={{ name: item.name, gatewayName: item.gatewayName, length: item.gatewayName.length, max: GATEWAY_NAME_MAX_LENGTH }}
              components={{ code }}
            />
          </li>
        ))}
      </ul>
      <p>
        {omitted.some((item) => item.reason === 'name_too_long') && <>{t('gateway.tooLongNote', { max: GATEWAY_NAME_MAX_LENGTH })} </>}
        <Trans t={t} i18nKey="gateway.ownAddress" count={omitted.length} values={{ slug }} components={{ code }} />
      </p>
    </section>
  );
}

/** An item's name on /mcp (`<slug>__<name>`), or that it is not there. */
export function GatewayName({ slug, name, tasksOnly = false }: { slug: string; name: string; tasksOnly?: boolean }) {
  const { t } = useTranslation('servers');
  const full = gatewayName(slug, name);
  if (tasksOnly) return <p className="gateway-name field-error">{t('gateway.notOnMcpTasks')}</p>;
  if (full.length > GATEWAY_NAME_MAX_LENGTH) {
    return <p className="gateway-name field-error">{t('gateway.notOnMcpLong', { length: full.length, max: GATEWAY_NAME_MAX_LENGTH })}</p>;
  }
  return (
    <p className="gateway-name muted">
      <Trans t={t} i18nKey="gateway.onMcp" values={{ name: full }} components={{ code: <code /> }} />
    </p>
  );
}

/** This server alone, passed through at /mcp/<slug>: its address to copy. */
export function ServerAddress({ server, tenantName }: { server: Server; tenantName: string }) {
  const { t } = useTranslation('servers');
  return (
    <section className="card server-address" aria-labelledby="server-address-title">
      <h2 id="server-address-title">{t('gateway.addressTitle')}</h2>
      <CopyField
        label={t('gateway.addressLabel', { name: server.name })}
        value={mcpUrl(window.location.origin, server.slug)}
        what={t('gateway.addressWhat', { name: server.name })}
      />
      <p className="muted">
        <Trans
          t={t}
          i18nKey="gateway.addressText"
          values={{ tenant: tenantName }}
          components={{ code: <code />, connect: <Link href="/servers#connect" /> }}
        />
      </p>
    </section>
  );
}
