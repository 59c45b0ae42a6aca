import { useMutation } from '@tanstack/react-query';
import type { ApiKey } from '@mreg/shared';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { useTRPC } from '../../trpc';
import { hintText } from './expiry';

/** Revoke, asked first in a dialog naming the key; the page says how it went and lists the keys again. */
export function RevokeKeyDialog({
  apiKey,
  onRevoked,
  onFailed,
  onCancel,
}: {
  apiKey: ApiKey | null;
  onRevoked: (key: ApiKey) => void;
  onFailed: (key: ApiKey, error: unknown) => void;
  onCancel: () => void;
}) {
  const trpc = useTRPC();
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions());
  const confirm = () => {
    if (!apiKey) return;
    revoke.mutate({ id: apiKey.id }, { onSuccess: () => onRevoked(apiKey), onError: (error) => onFailed(apiKey, error) });
  };
  return (
    <ConfirmDialog
      open={apiKey !== null}
      title={apiKey ? `Revoke ${apiKey.name}?` : 'Revoke the key?'}
      confirmLabel="Revoke key"
      danger
      busy={revoke.isPending}
      onConfirm={confirm}
      onCancel={onCancel}
    >
      {apiKey && (
        <>
          <p>
            Whatever uses <code>{hintText(apiKey)}</code> is refused from its next request on: MCP clients and scripts with this key must be given
            another.
          </p>
          <p>This cannot be undone.</p>
        </>
      )}
    </ConfirmDialog>
  );
}
