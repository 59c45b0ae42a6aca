import { Component, type ReactNode } from 'react';
import { i18n } from '../i18n';

interface State {
  failed: boolean;
}

/**
 * Around the pages: a page that cannot be shown (most often its chunk is gone because MREG was
 * updated while this tab stayed open) says so with a reload, instead of blanking the whole app.
 * Keyed by the address in App, so that going to another page tries again.
 */
export class PageBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { failed: false };

  static getDerivedStateFromError(): State {
    return { failed: true };
  }

  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <div role="alert" className="banner banner-error">
        <p>
          <strong>{i18n.t('app.pageFailed')}</strong> {i18n.t('app.pageFailedText')}
        </p>
        <button type="button" onClick={() => window.location.reload()}>
          {i18n.t('app.reload')}
        </button>
      </div>
    );
  }
}
