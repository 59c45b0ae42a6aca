import { authRouter } from '../modules/auth/auth.router';
import { configRouter } from '../modules/config/config.router';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  auth: authRouter,
  config: configRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
