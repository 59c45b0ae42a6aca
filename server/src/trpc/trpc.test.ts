import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { AppError, type AppErrorCode } from '../errors';
import { createCallerFactory, publicProcedure, router } from './trpc';
import type { Context } from './context';

const testRouter = router({
  fail: publicProcedure.input(z.object({ code: z.string() })).query(({ input }) => {
    throw new AppError(input.code as AppErrorCode, `failed with ${input.code}`);
  }),
  lastAdmin: publicProcedure.query(() => {
    throw new AppError('CONFLICT', 'ada is the last active admin of Contoso', { reason: 'last_admin' });
  }),
  outage: publicProcedure.query(() => {
    throw new Error('Connection terminated unexpectedly');
  }),
  crash: publicProcedure.query(() => {
    throw new Error('database password is hunter2');
  }),
  named: publicProcedure.input(z.strictObject({ email: z.email(), age: z.number().int() })).query(() => 'ok'),
});
const caller = createCallerFactory(testRouter)({} as Context);

async function errorOf(run: () => Promise<unknown>): Promise<TRPCError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof TRPCError) return error;
    throw error;
  }
  throw new Error('expected a TRPCError');
}

describe('the error map', () => {
  it.each([
    ['NOT_FOUND', 'NOT_FOUND'],
    ['FORBIDDEN', 'FORBIDDEN'],
    ['CONFLICT', 'CONFLICT'],
    ['FEATURE_DISABLED', 'PRECONDITION_FAILED'],
    ['UNAVAILABLE', 'SERVICE_UNAVAILABLE'],
  ])('turns AppError %s into tRPC %s with its message', async (code, trpcCode) => {
    const error = await errorOf(() => caller.fail({ code }));
    expect(error.code).toBe(trpcCode);
    expect(error.message).toBe(`failed with ${code}`);
  });

  it('leaves other errors internal', async () => {
    expect((await errorOf(() => caller.crash())).code).toBe('INTERNAL_SERVER_ERROR');
  });

  it('names the fields of bad input (BAD_REQUEST)', async () => {
    const error = await errorOf(() => caller.named({ email: 'nope', age: 1.5 }));
    expect(error.code).toBe('BAD_REQUEST');
  });
});

describe('error answers over HTTP', () => {
  let url: string;
  let server: ReturnType<typeof createHTTPServer>;
  beforeAll(async () => {
    server = createHTTPServer({ router: testRouter, createContext: () => ({}) as Context });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const get = async (path: string, input: unknown) => {
    const res = await fetch(`${url}/${path}?input=${encodeURIComponent(JSON.stringify(input))}`);
    return { status: res.status, body: (await res.json()) as { error: { message: string; data: Record<string, unknown> } } };
  };

  it('lists field errors by field name, with status 400', async () => {
    const { status, body } = await get('named', { email: 'nope', age: 1.5 });
    expect(status).toBe(400);
    expect(body.error.data.code).toBe('BAD_REQUEST');
    expect(Object.keys(body.error.data.fieldErrors as object).sort()).toEqual(['age', 'email']);
    expect(body.error.message).toBe('email: Invalid email address; age: must be a whole number');
    const missing = await get('named', {});
    expect(missing.body.error.message).toBe('email: is required; age: is required');
    const extra = await get('named', { email: 'a@b.test', age: 1, admin: true });
    expect(extra.body.error.message).toBe('input: "admin" is not a field here');
    expect(body.error.data.stack).toBeUndefined();
  });

  it('hides the message of an unexpected error', async () => {
    const { status, body } = await get('crash', undefined);
    expect(status).toBe(500);
    expect(body.error.message).toBe('Internal server error');
    expect(JSON.stringify(body)).not.toContain('hunter2');
  });

  it('keeps the message of an AppError', async () => {
    const { status, body } = await get('fail', { code: 'NOT_FOUND' });
    expect(status).toBe(404);
    expect(body.error.message).toBe('failed with NOT_FOUND');
  });

  it("puts an AppError's reason in data.reason, for clients to switch on", async () => {
    const { status, body } = await get('lastAdmin', undefined);
    expect(status).toBe(409);
    expect(body.error.message).toBe('ada is the last active admin of Contoso');
    expect(body.error.data).toMatchObject({ code: 'CONFLICT', reason: 'last_admin' });
    expect((await get('fail', { code: 'CONFLICT' })).body.error.data.reason).toBeUndefined();
  });

  it('answers a database outage 503, saying so', async () => {
    const { status, body } = await get('outage', undefined);
    expect(status).toBe(503);
    expect(body.error).toMatchObject({ message: 'The database is not answering; try again shortly', data: { code: 'SERVICE_UNAVAILABLE' } });
  });
});
