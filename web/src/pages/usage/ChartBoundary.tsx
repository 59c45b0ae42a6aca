import { Component, type ReactNode } from 'react';
import { Translation } from 'react-i18next';

/** If the charts' code cannot be loaded (a new version deployed meanwhile, a dropped connection), a sentence instead of a blank app. */
export class ChartBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError() {
    return { failed: true };
  }

  override render() {
    if (this.state.failed) {
      return <Translation ns="servers">{(t) => <p className="usage-charts-failed muted">{t('usage.chartsFailed')}</p>}</Translation>;
    }
    return this.props.children;
  }
}
