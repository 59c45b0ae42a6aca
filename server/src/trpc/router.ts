import { auditRouter } from '../modules/audit/audit.router';
import { apiKeysRouter } from '../modules/apikeys/apikeys.router';
import { authRouter } from '../modules/auth/auth.router';
import { configRouter } from '../modules/config/config.router';
import { oauthRouter } from '../modules/oauth/oauth.router';
import { registryRouter } from '../modules/registry/registry.router';
import { tenantsRouter } from '../modules/tenants/tenants.router';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  auth: authRouter,
  config: configRouter,
  tenants: tenantsRouter,
  registry: registryRouter,
  apiKeys: apiKeysRouter,
  oauth: oauthRouter,
  audit: auditRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
