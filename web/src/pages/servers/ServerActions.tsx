import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Trans, useTranslation } from 'react-i18next';
import { Link, useLocation } from 'wouter';
import type { Server } from '@mreg/shared';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { useLanguage } from '../../prefs/usePreferences';
import { useTRPC } from '../../trpc';
import type { ArrivalState } from './flash';
import { asSentence, discoverySentence } from './words';

/** Where an action says how it went: the page's live region, or its problem banner. */
export interface Feedback {
  report: (message: string, tone?: 'success' | 'warning') => void;
  fail: (title: string, error: unknown) => void;
  clear: () => void;
}

interface ActionProps {
  server: Server;
  feedback: Feedback;
}

/** What registry:write may do on a server's page: refresh, enable or disable, edit, delete. Each button owns its call. */
export function ServerActions({ server, feedback, tenantName }: ActionProps & { tenantName: string }) {
  const { t } = useTranslation('servers');
  return (
    <div className="actions server-actions">
      <RefreshButton server={server} feedback={feedback} />
      <EnableButton server={server} feedback={feedback} />
      <Link href={`/servers/${server.id}/edit`} className="button" aria-label={t('actions.editLabel', { name: server.name })}>
        {t('actions.edit')}
      </Link>
      <DeleteButton server={server} feedback={feedback} tenantName={tenantName} />
    </div>
  );
}

function useInvalidateRegistry() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries(trpc.registry.pathFilter());
}

/** Discovers the server again now (registry.refresh), and says what it found or why it could not. */
function RefreshButton({ server, feedback }: ActionProps) {
  const { t } = useTranslation('servers');
  const { locale } = useLanguage();
  const trpc = useTRPC();
  const refresh = useMutation(trpc.registry.refresh.mutationOptions());
  const invalidate = useInvalidateRegistry();
  const run = () => {
    if (refresh.isPending) return;
    feedback.clear();
    refresh.mutate(
      { id: server.id },
      {
        onSuccess: ({ discovery }) =>
          discovery.ok
            ? feedback.report(`${t('actions.refreshed', { name: server.name })} ${discoverySentence(discovery, locale)}`)
            : feedback.report(t('actions.refreshUnreachable', { name: server.name, error: asSentence(discovery.error) }), 'warning'),
        onError: (error) => feedback.fail(t('actions.refreshFailed', { name: server.name }), error),
        onSettled: () => void invalidate(),
      },
    );
  };
  return (
    <button
      type="button"
      onClick={run}
      // Not disabled while it works: a disabled button would lose the keyboard focus.
      disabled={!server.enabled}
      aria-disabled={refresh.isPending}
      aria-busy={refresh.isPending}
      title={server.enabled ? t('actions.refreshTitle') : t('actions.refreshDisabledTitle')}
    >
      {refresh.isPending ? t('actions.refreshing') : t('actions.refresh')}
    </button>
  );
}

/** One button whose words change, so that the focus stays on it after the change. */
function EnableButton({ server, feedback }: ActionProps) {
  const { t } = useTranslation('servers');
  const { locale } = useLanguage();
  const trpc = useTRPC();
  const update = useMutation(trpc.registry.update.mutationOptions());
  const invalidate = useInvalidateRegistry();
  const enable = !server.enabled;
  const run = () => {
    if (update.isPending) return;
    feedback.clear();
    update.mutate(
      { id: server.id, enabled: enable },
      {
        onSuccess: ({ discovery }) =>
          !enable
            ? feedback.report(t('actions.disabled', { name: server.name }))
            : feedback.report(`${t('actions.enabled', { name: server.name })} ${discoverySentence(discovery, locale)}`, discovery.ok ? 'success' : 'warning'),
        onError: (error) => feedback.fail(t(enable ? 'actions.enableFailed' : 'actions.disableFailed', { name: server.name }), error),
        onSettled: () => void invalidate(),
      },
    );
  };
  return (
    <button type="button" onClick={run} aria-disabled={update.isPending} aria-busy={update.isPending}>
      {update.isPending ? t(enable ? 'actions.enabling' : 'actions.disabling') : t(enable ? 'actions.enable' : 'actions.disable')}
    </button>
  );
}

/** Delete, asked first in a dialog that names the server; then back to the list, which says it is gone. */
function DeleteButton({ server, feedback, tenantName }: ActionProps & { tenantName: string }) {
  const { t } = useTranslation('servers');
  const trpc = useTRPC();
  const remove = useMutation(trpc.registry.remove.mutationOptions());
  const invalidate = useInvalidateRegistry();
  const [, navigate] = useLocation();
  const [asking, setAsking] = useState(false);
  const confirm = () => {
    feedback.clear();
    remove.mutate(
      { id: server.id },
      {
        onSuccess: () => {
          void invalidate();
          const state: ArrivalState = { removed: server.name };
          navigate('/servers', { state });
        },
        onError: (error) => {
          setAsking(false);
          feedback.fail(t('actions.deleteFailed', { name: server.name }), error);
          void invalidate();
        },
      },
    );
  };
  return (
    <>
      <button type="button" className="danger" onClick={() => setAsking(true)} aria-label={t('actions.deleteLabel', { name: server.name })}>
        {t('actions.delete')}
      </button>
      <ConfirmDialog
        open={asking}
        title={t('actions.deleteTitle', { name: server.name })}
        confirmLabel={t('actions.deleteConfirm')}
        danger
        busy={remove.isPending}
        onConfirm={confirm}
        onCancel={() => setAsking(false)}
      >
        <p>
          <Trans t={t} i18nKey="actions.deleteBody" values={{ name: server.name, slug: server.slug, tenant: tenantName }} components={{ code: <code /> }} />
        </p>
        <p>{t('actions.deleteFinal')}</p>
      </ConfirmDialog>
    </>
  );
}
