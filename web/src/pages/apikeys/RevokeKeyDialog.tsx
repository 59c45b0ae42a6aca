import { useMutation } from '@tanstack/react-query';
import { Trans, useTranslation } from 'react-i18next';
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
  const { t } = useTranslation('apikeys');
  const trpc = useTRPC();
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions());
  const confirm = () => {
    if (!apiKey) return;
    revoke.mutate({ id: apiKey.id }, { onSuccess: () => onRevoked(apiKey), onError: (error) => onFailed(apiKey, error) });
  };
  return (
    <ConfirmDialog
      open={apiKey !== null}
      title={apiKey ? t('revoke.title', { name: apiKey.name }) : t('revoke.titleUnnamed')}
      confirmLabel={t('revoke.confirm')}
      danger
      busy={revoke.isPending}
      onConfirm={confirm}
      onCancel={onCancel}
    >
      {apiKey && (
        <>
          <p>
            <Trans t={t} i18nKey="revoke.body" values={{ hint: hintText(apiKey) }} components={{ code: <code /> }} />
          </p>
          <p>{t('revoke.final')}</p>
        </>
      )}
    </ConfirmDialog>
  );
}
