import { Component, type ReactNode } from 'react';

/** If the charts' code cannot be loaded (a new version deployed meanwhile, a dropped connection), a sentence instead of a blank app. */
export class ChartBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError() {
    return { failed: true };
  }

  override render() {
    if (this.state.failed) {
      return <p className="usage-charts-failed muted">The charts could not be loaded; reload the page to try again. The figures are below.</p>;
    }
    return this.props.children;
  }
}
