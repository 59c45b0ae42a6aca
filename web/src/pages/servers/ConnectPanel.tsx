import { useEffect, useRef } from 'react';
import { Link } from 'wouter';
import { useEnhancedAuth } from '../../auth/EnhancedAuthProvider';
import { CopyBlock, CopyField } from '../../components/Copy';
import { connectSnippets, KEY_PLACEHOLDER, mcpUrl } from './connect';

/**
 * How to reach the tenant's servers from an MCP client: the /mcp address and each common client's
 * configuration, to copy. Reached from elsewhere as /servers#connect.
 */
export function ConnectPanel({ tenantName }: { tenantName: string }) {
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
        Connect an MCP client
      </h2>
      <p>
        MREG serves {tenantName}&apos;s servers as one MCP server (Streamable HTTP) at this address; their tools are named{' '}
        <code>&lt;slug&gt;__&lt;tool&gt;</code>. Each server&apos;s page also has its own address, <code>/mcp/&lt;slug&gt;</code>, for that server
        alone.
      </p>
      <CopyField label="MCP address" value={url} what="the MCP address" />
      <p>
        A client that supports MCP&apos;s OAuth sign-in needs only this address: it opens your browser, where you sign in and approve it for a
        tenant
        {sessionsPage && (
          <>
            ; you can disconnect it under <Link href="/sessions#connected-apps">Sessions, Connected apps</Link>
          </>
        )}
        . Other clients sign in with an API key of yours, sent as <code>Authorization: Bearer</code>: create one on{' '}
        <Link href="/api-keys">API keys</Link>, then paste it where{' '}
        <code>{KEY_PLACEHOLDER}</code> stands.
      </p>
      <ul className="connect-clients">
        {connectSnippets(url).map((snippet) => (
          <li key={snippet.id}>
            <details className="connect-client">
              <summary>{snippet.client}</summary>
              <p className="muted">In {snippet.where}:</p>
              <CopyBlock text={snippet.text} what={`the ${snippet.client} configuration`} label={`${snippet.client} configuration`} />
              {snippet.note && <p className="hint">{snippet.note}</p>}
            </details>
          </li>
        ))}
      </ul>
    </section>
  );
}
