// Before anything renders words: the instance starts in the browser's language.
import './i18n';
// Before any component, so that a page's own CSS comes later in the bundle and wins ties.
import './styles.css';
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClientProvider } from '@tanstack/react-query';
import { App } from './App';
import { EnhancedAuthProvider } from './auth/EnhancedAuthProvider';
import { watchUnsavedChanges } from './components/useUnsavedChanges';
import { notifyUnauthorized } from './auth/unauthorized';
import { TRPCProvider, makeQueryClient, makeTrpcClient } from './trpc';

watchUnsavedChanges();

function Root() {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(() => makeTrpcClient(notifyUnauthorized));
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <EnhancedAuthProvider>
          <App />
        </EnhancedAuthProvider>
      </TRPCProvider>
    </QueryClientProvider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
