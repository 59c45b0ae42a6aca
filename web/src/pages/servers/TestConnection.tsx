import { useMutation } from '@tanstack/react-query';
import type { TestServerInput, TestServerResult } from '@mreg/shared';
import { LoadError } from '../../components/LoadError';
import { count } from '../../components/useNow';
import { useTRPC } from '../../trpc';
import { placeRefusal, type Labels, type Problems } from './problems';
import { asSentence, duration } from './words';

interface TestConnectionProps {
  /** The form's URL and credential to try, or null when the form found them wrong (and said so beside the fields). */
  prepare: () => TestServerInput | null;
  labels: Labels;
  /** The server refused the test for a field's sake (a URL it may not reach, say). */
  onRefused: (problems: Problems) => void;
}

/**
 * "Test connection": MREG contacts the URL with the credential (registry.test) and says what the
 * server answered, before anything is saved. The form remounts it when the URL or credential
 * changes, so a result never stands beside values it was not about.
 */
export function TestConnection({ prepare, labels, onRefused }: TestConnectionProps) {
  const trpc = useTRPC();
  const test = useMutation(trpc.registry.test.mutationOptions());

  const run = () => {
    const input = prepare();
    if (!input) return;
    test.mutate(input, {
      onError: (error) => onRefused(placeRefusal(error, labels).fields),
    });
  };
  const general = test.isError ? placeRefusal(test.error, labels).general : null;

  return (
    <div className="server-test">
      <div className="server-test-row">
        <button type="button" onClick={run} disabled={test.isPending} aria-busy={test.isPending}>
          {test.isPending ? 'Testing…' : 'Test connection'}
        </button>
        <span className="hint">Tries the URL and credential above; nothing is saved.</span>
      </div>
      <div role="status" className="server-test-result">
        {test.isPending && <p className="muted">Contacting the server…</p>}
        {test.data && <TestOutcome result={test.data} />}
      </div>
      {general !== null && <LoadError what="The connection could not be tested" error={general} />}
    </div>
  );
}

function TestOutcome({ result }: { result: TestServerResult }) {
  if (!result.ok) {
    return (
      <div className="banner banner-error">
        <p>
          <strong>Could not connect.</strong> {asSentence(result.error)} You can still save the server; MREG keeps checking it.
        </p>
      </div>
    );
  }
  return (
    <div className="banner banner-success">
      <p>
        <strong>Connected</strong> in {duration(result.latencyMs)} to{' '}
        <strong>
          {result.serverInfo.name} {result.serverInfo.version}
        </strong>{' '}
        (MCP {result.protocolVersion}): {count(result.toolCount, 'tool')}, {count(result.resourceCount, 'resource')} (templates included),{' '}
        {count(result.promptCount, 'prompt')}.
      </p>
    </div>
  );
}
