import type { ApiKeyCreated } from '@mreg/shared';
import { Link } from 'wouter';
import { CopyField } from '../../components/Copy';

/**
 * The secret of the key just made, the one time MREG shows it: copied from a read-only field (which
 * has the focus, selected) or with the Copy button. Done puts it away for good.
 */
export function NewKeyPanel({ created, onDone }: { created: ApiKeyCreated; onDone: () => void }) {
  const { apiKey, secret } = created;
  return (
    <section className="card new-key" aria-labelledby="new-key-title">
      <h2 id="new-key-title">Your new key: {apiKey.name}</h2>
      <p className="new-key-warning">
        <strong>Copy it now: it will not be shown again.</strong> MREG keeps only a fingerprint of it. If you lose it, revoke it and create
        another.
      </p>
      <CopyField label="API key" value={secret} what={`the key ${apiKey.name}`} autoFocus />
      <p className="muted">
        Paste it where your MCP client or script asks for it (see <Link href="/servers#connect">Connect an MCP client</Link>); it goes in the
        header <code>Authorization: Bearer &lt;key&gt;</code>. Keep it out of code and chats: anyone who has it acts as you.
      </p>
      <div className="actions">
        <button type="button" className="primary" onClick={onDone}>
          Done
        </button>
      </div>
    </section>
  );
}
