import { useMutation } from '@tanstack/react-query';
import { Trans, useTranslation } from 'react-i18next';
import type { TestServerInput, TestServerResult } from '@mreg/shared';
import { LoadError } from '../../components/LoadError';
import { useLanguage } from '../../prefs/usePreferences';
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
  const { t } = useTranslation('servers');
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
          {test.isPending ? t('test.testing') : t('test.button')}
        </button>
        <span className="hint">{t('test.hint')}</span>
      </div>
      <div role="status" className="server-test-result">
        {test.isPending && <p className="muted">{t('test.contacting')}</p>}
        {test.data && <TestOutcome result={test.data} />}
      </div>
      {general !== null && <LoadError what={t('test.failed')} error={general} />}
    </div>
  );
}

function TestOutcome({ result }: { result: TestServerResult }) {
  const { t } = useTranslation('servers');
  const { locale } = useLanguage();
  const strong = <strong />;
  if (!result.ok) {
    return (
      <div className="banner banner-error">
        <p>
          <Trans t={t} i18nKey="test.couldNot" values={{ error: asSentence(result.error) }} components={{ strong }} />
        </p>
      </div>
    );
  }
  return (
    <div className="banner banner-success">
      <p>
        <Trans
          t={t}
          i18nKey="test.connected"
          values={{
            duration: duration(result.latencyMs, locale),
            name: result.serverInfo.name,
            version: result.serverInfo.version,
            protocol: result.protocolVersion,
            tools: t('count.tools', { count: result.toolCount, locale }),
            resources: t('count.resources', { count: result.resourceCount, locale }),
            prompts: t('count.prompts', { count: result.promptCount, locale }),
          }}
          components={{ strong }}
        />
      </p>
    </div>
  );
}
