import type { Router } from 'express';
import type { Logger } from 'pino';
import type { Settings } from '../config';
import { createDevProvider, DEV_IDP_PATH } from './dev-provider';
import { defaultFetch, type OutboundFetch } from './network';
import { createSignInClient, entraProvider, type SignInClient } from './sign-in-client';

export { DEV_IDP_PATH };

/** How people sign in: the msal client, and the development provider when it is the one used. */
export interface Identity {
  client: SignInClient;
  /** Mounted at DEV_IDP_PATH when Entra ID is not configured (on loopback, or by MREG_DEV_SIGN_IN=true). */
  devProvider: Router | undefined;
}

export async function createIdentity(options: {
  settings: Settings;
  logger: Logger;
  /** Every outbound request of sign-in goes through it; tests hold it to loopback. */
  outbound?: OutboundFetch;
}): Promise<Identity> {
  const { settings, logger, outbound = defaultFetch } = options;
  const redirectUri = new URL('/auth/callback', settings.publicUrl).href;
  const log = logger.child({ component: 'identity' });

  if (settings.entra) {
    const provider = entraProvider(settings.entra, settings.publicUrl);
    return { client: createSignInClient({ provider, redirectUri, outbound, logger: log }), devProvider: undefined };
  }
  if (settings.env === 'production' || settings.devSignIn === null) {
    // parseSettings refuses this already; this guards any other way of building Settings.
    throw new Error('Production needs Entra ID: set MREG_AZURE_TENANT_ID, MREG_AZURE_CLIENT_ID and MREG_AZURE_CLIENT_SECRET');
  }
  const dev = await createDevProvider({
    publicUrl: settings.publicUrl,
    redirectUri,
    dataDir: settings.dataDir,
    reach: settings.devSignIn,
    logger: log,
  });
  return {
    client: createSignInClient({ provider: dev.description, redirectUri, outbound, logger: log }),
    devProvider: dev.router,
  };
}
