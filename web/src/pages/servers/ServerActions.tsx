import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useLocation } from 'wouter';
import type { Server } from '@mreg/shared';
import { ConfirmDialog } from '../../components/ConfirmDialog';
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
  return (
    <div className="actions server-actions">
      <RefreshButton server={server} feedback={feedback} />
      <EnableButton server={server} feedback={feedback} />
      <Link href={`/servers/${server.id}/edit`} className="button" aria-label={`Edit ${server.name}`}>
        Edit
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
            ? feedback.report(`Refreshed ${server.name}. ${discoverySentence(discovery)}`)
            : feedback.report(`${server.name} could not be reached: ${asSentence(discovery.error)} What was discovered on it before is kept.`, 'warning'),
        onError: (error) => feedback.fail(`Could not refresh ${server.name}`, error),
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
      title={server.enabled ? 'Ask the server again what it offers' : 'Enable the server to refresh it'}
    >
      {refresh.isPending ? 'Refreshing…' : 'Refresh'}
    </button>
  );
}

/** One button whose words change, so that the focus stays on it after the change. */
function EnableButton({ server, feedback }: ActionProps) {
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
            ? feedback.report(`Disabled ${server.name}: MREG no longer checks or discovers it.`)
            : feedback.report(`Enabled ${server.name} again. ${discoverySentence(discovery)}`, discovery.ok ? 'success' : 'warning'),
        onError: (error) => feedback.fail(`Could not ${enable ? 'enable' : 'disable'} ${server.name}`, error),
        onSettled: () => void invalidate(),
      },
    );
  };
  return (
    <button type="button" onClick={run} aria-disabled={update.isPending} aria-busy={update.isPending}>
      {update.isPending ? (enable ? 'Enabling…' : 'Disabling…') : enable ? 'Enable' : 'Disable'}
    </button>
  );
}

/** Delete, asked first in a dialog that names the server; then back to the list, which says it is gone. */
function DeleteButton({ server, feedback, tenantName }: ActionProps & { tenantName: string }) {
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
          feedback.fail(`Could not delete ${server.name}`, error);
          void invalidate();
        },
      },
    );
  };
  return (
    <>
      <button type="button" className="danger" onClick={() => setAsking(true)} aria-label={`Delete ${server.name}`}>
        Delete
      </button>
      <ConfirmDialog
        open={asking}
        title={`Delete ${server.name}?`}
        confirmLabel="Delete server"
        danger
        busy={remove.isPending}
        onConfirm={confirm}
        onCancel={() => setAsking(false)}
      >
        <p>
          MREG forgets {server.name} (<code>{server.slug}</code>): its settings, its saved credential and what was discovered on it. People and
          agents of {tenantName} can no longer reach it through MREG. The server itself is not touched.
        </p>
        <p>This cannot be undone; you can add it again later.</p>
      </ConfirmDialog>
    </>
  );
}
