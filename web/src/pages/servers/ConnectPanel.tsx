import { useEffect, useRef } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { useEnhancedAuth } from '../../auth/EnhancedAuthProvider';
import { CopyBlock, CopyField } from '../../components/Copy';
import { connectSnippets, KEY_PLACEHOLDER, mcpUrl } from './connect';

/**
 * How to reach the tenant's servers from an MCP client: the /mcp address and each common client's
 * configuration, to copy. Reached from elsewhere as /servers#connect.
 */
export function ConnectPanel({ tenantName }: { tenantName: string }) {
  const { t } = useTranslation('servers');
  const url = mcpUrl(window.location.origin);
  const sessionsPage = useEnhancedAuth().features?.sessionManagement;
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    // After the page's own focus on its title (an earlier sibling's effect): the link named this panel.
    if (window.location.hash !== '#connect') return;
    heading.current?.scrollIntoView({ block: 'start' });
    heading.current?.focus({ preventScroll: true });
  }, []);
  return (
    <section id="connect" className="card connect" aria-labelledby="connect-title">
      <h2 id="connect-title" ref={heading} tabIndex={-1}>
        {t('connect.title')}
      </h2>
      <p>
        <Trans
          t={t}
          i18nKey="connect.intro"
          values={{ tenant: tenantName, toolName: '<slug>__<tool>', serverPath: '/mcp/<slug>' }}
          components={{ code: <code /> }}
        />
      </p>
      <CopyField label={t('connect.addressLabel')} value={url} what={t('connect.addressWhat')} />
      <p>
        <Trans
          t={t}
          i18nKey={sessionsPage ? 'connect.signInWithSessions' : 'connect.signIn'}
          values={{ placeholder: KEY_PLACEHOLDER }}
          components={{ code: <code />, sessions: <Link href="/sessions#connected-apps" />, keys: <Link href="/api-keys" /> }}
        />
      </p>
      <ul className="connect-clients">
        {connectSnippets(url).map((snippet) => (
          <li key={snippet.id}>
            <details className="connect-client">
              <summary>{snippet.client}</summary>
              <p className="muted">{t('connect.where', { where: snippet.where })}</p>
              <CopyBlock
                text={snippet.text}
                what={t('connect.configurationWhat', { client: snippet.client })}
                label={t('connect.configurationLabel', { client: snippet.client })}
              />
              {snippet.note && <p className="hint">{snippet.note}</p>}
            </details>
          </li>
        ))}
      </ul>
    </section>
  );
}
