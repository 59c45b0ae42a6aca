import { ZAuthUser, ZNoInput } from '@mreg/shared';
import { authedProcedure, router } from '../../trpc/trpc';
import { loadAuthUser } from './auth.service';

export const authRouter = router({
  user: authedProcedure
    .input(ZNoInput)
    .output(ZAuthUser)
    .query(({ ctx }) => loadAuthUser(ctx.em, ctx.session)),
});
