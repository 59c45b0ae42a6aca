import { configRouter } from '../modules/config/config.router';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  config: configRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
