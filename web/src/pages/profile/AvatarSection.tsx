import { useEffect, useId, useRef, useState, type ChangeEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useEnhancedAuth } from '../../auth/EnhancedAuthProvider';
import { Avatar } from '../../components/Avatar';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Field } from '../../components/Field';
import { errorMessage } from '../../trpc';
import { PICTURE_ACCEPT, pictureLimitText, pictureProblem, pictureTypesText, uploadFailureText } from './picture';

/**
 * The person's picture: choose a file, see it before sending, upload or cancel; or remove the
 * current one. The file is checked here first so that a refusal needs no round trip.
 */
export function AvatarSection({ name, avatarUrl }: { name: string; avatarUrl: string | null }) {
  const auth = useEnhancedAuth();
  const headingId = useId();
  const { t } = useTranslation('profile');
  const input = useRef<HTMLInputElement>(null);
  const [chosen, setChosen] = useState<{ file: File; url: string } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  /** The preview URL the browser could not show as an image, if any. */
  const [unreadable, setUnreadable] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const upload = useMutation({ mutationFn: (file: File) => auth.uploadAvatar(file) });
  const remove = useMutation({ mutationFn: () => auth.removeAvatar() });

  // Each preview URL pins its file in memory until revoked: freed when another replaces it or the page goes.
  useEffect(() => {
    if (!chosen) return;
    const { url } = chosen;
    return () => URL.revokeObjectURL(url);
  }, [chosen]);

  const clear = () => {
    setChosen(null);
    setProblem(null);
    upload.reset();
    // Otherwise choosing the same file again fires no change event.
    if (input.current) input.current.value = '';
  };

  const choose = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    setNotice(null);
    upload.reset();
    if (!file) {
      setChosen(null);
      setProblem(null);
      return;
    }
    const refusal = pictureProblem(file);
    setProblem(refusal);
    setChosen(refusal ? null : { file, url: URL.createObjectURL(file) });
  };

  const send = () => {
    if (!chosen) return;
    upload.mutate(chosen.file, {
      onSuccess: () => {
        clear();
        setNotice(t('picture.uploaded'));
      },
    });
  };

  const confirmRemove = () =>
    remove.mutate(undefined, {
      onSuccess: () => {
        setConfirming(false);
        setNotice(t('picture.removed'));
        // The button that opened the dialog is gone with the picture: focus goes to the picker.
        input.current?.focus();
      },
    });

  const error = problem ?? (upload.isError ? uploadFailureText(upload.error) : undefined);
  const caption = !chosen
    ? avatarUrl
      ? t('picture.yours')
      : t('picture.none')
    : chosen.url === unreadable
      ? t('picture.noPreview')
      : t('picture.preview');

  return (
    <section className="card profile-section" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('picture.heading')}</h2>
      <div className="profile-picture">
        <figure className="profile-picture-figure">
          {chosen && chosen.url !== unreadable ? (
            <img
              className="avatar avatar-96"
              src={chosen.url}
              alt={t('picture.previewAlt')}
              width={96}
              height={96}
              // The server reads the type from the bytes too and will say why it refuses: only the preview goes.
              onError={() => setUnreadable(chosen.url)}
            />
          ) : chosen ? (
            <span className="avatar avatar-96" aria-hidden="true">
              ?
            </span>
          ) : (
            <Avatar name={name} url={avatarUrl} size={96} />
          )}
          <figcaption className="hint">{caption}</figcaption>
        </figure>
        <div className="profile-picture-controls">
          <Field label={t('picture.choose')} error={error} hint={t('picture.chooseHint', { types: pictureTypesText(), limit: pictureLimitText() })}>
            <input ref={input} type="file" accept={PICTURE_ACCEPT} onChange={choose} disabled={upload.isPending} />
          </Field>
          <div className="actions">
            {chosen && (
              <>
                <button type="button" className="primary" onClick={send} disabled={upload.isPending} aria-busy={upload.isPending}>
                  {upload.isPending ? t('picture.uploading') : t('picture.upload')}
                </button>
                <button type="button" onClick={clear} disabled={upload.isPending}>
                  {t('picture.cancel')}
                </button>
              </>
            )}
            {!chosen && avatarUrl && (
              <button type="button" className="danger" onClick={() => setConfirming(true)}>
                {t('picture.remove')}
              </button>
            )}
          </div>
          <p role="status" className="profile-status">
            {notice}
          </p>
        </div>
      </div>
      <ConfirmDialog
        open={confirming}
        title={t('picture.removeTitle')}
        confirmLabel={t('picture.remove')}
        danger
        busy={remove.isPending}
        onConfirm={confirmRemove}
        onCancel={() => {
          setConfirming(false);
          remove.reset();
        }}
      >
        <p>{t('picture.removeBody')}</p>
        {remove.isError && (
          <p className="field-error" role="alert">
            {t('picture.notRemoved', { reason: errorMessage(remove.error) })}
          </p>
        )}
      </ConfirmDialog>
    </section>
  );
}
