import { ZFeatures, ZNoInput } from '@mreg/shared';
import { publicProcedure, router } from '../../trpc/trpc';

export const configRouter = router({
  features: publicProcedure.input(ZNoInput).output(ZFeatures).query(({ ctx }) => ctx.features.offered),
});
