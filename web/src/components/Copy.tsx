import { useTranslation } from 'react-i18next';
import { useEffect, useId, useRef, useState } from 'react';

/**
 * Copying to the clipboard, with a way out where the browser refuses (no clipboard on plain http,
 * permission denied): the text is selected instead, for Ctrl+C, and the button says so.
 */

async function writeClipboard(text: string): Promise<boolean> {
  try {
    // Absent outside secure contexts: the TypeError lands here too.
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

interface CopyButtonProps {
  text: string;
  /** What is copied, for the button's name: "Copy the MCP address". */
  what: string;
  /** Selects the text on the page, for the fallback. */
  select: () => void;
}

export function CopyButton({ text, what, select }: CopyButtonProps) {
  const [outcome, setOutcome] = useState<'copied' | 'failed' | null>(null);
  const { t } = useTranslation();
  useEffect(() => {
    if (outcome !== 'copied') return;
    const timer = setTimeout(() => setOutcome(null), 2500);
    return () => clearTimeout(timer);
  }, [outcome]);
  const copy = async () => {
    const copied = await writeClipboard(text);
    if (!copied) select();
    setOutcome(copied ? 'copied' : 'failed');
  };
  return (
    <span className="copy">
      <button type="button" aria-label={t('actions.copyWhat', { what })} onClick={() => void copy()}>
        {t('actions.copy')}
      </button>
      <span role="status" className={outcome === 'failed' ? 'copy-outcome field-error' : 'copy-outcome muted'}>
        {outcome === 'copied' ? t('actions.copied') : outcome === 'failed' ? t('actions.copyFailed') : ''}
      </span>
    </span>
  );
}

/** One line to copy (an address, a key) in a read-only field that selects itself when focused. */
export function CopyField({ label, value, what, autoFocus }: { label: string; value: string; what: string; autoFocus?: boolean }) {
  const input = useRef<HTMLInputElement>(null);
  const id = useId();
  const select = () => {
    input.current?.focus();
    input.current?.select();
  };
  return (
    <div className="copy-field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-row">
        <input
          ref={input}
          id={id}
          type="text"
          readOnly
          value={value}
          spellCheck={false}
          autoFocus={autoFocus}
          onFocus={(event) => event.currentTarget.select()}
        />
        <CopyButton text={value} what={what} select={select} />
      </div>
    </div>
  );
}

/** A block of configuration or code to copy whole. */
export function CopyBlock({ text, what, label }: { text: string; what: string; label: string }) {
  const code = useRef<HTMLPreElement>(null);
  const select = () => {
    const node = code.current;
    if (!node) return;
    node.focus();
    const range = document.createRange();
    range.selectNodeContents(node);
    window.getSelection()?.removeAllRanges();
    window.getSelection()?.addRange(range);
  };
  return (
    <div className="copy-block">
      {/* Focusable, so that a keyboard can scroll a long line sideways. */}
      <pre ref={code} tabIndex={0} aria-label={label}>
        <code>{text}</code>
      </pre>
      <CopyButton text={text} what={what} select={select} />
    </div>
  );
}
