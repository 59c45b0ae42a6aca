import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { APP_ERROR_CODES, AppError, clientError, httpStatus, type AppErrorCode } from './errors';
import { appErrors } from './http/errors';

const CODES = Object.keys(APP_ERROR_CODES) as AppErrorCode[];
const outage = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('the error map', () => {
  it.each(CODES)('answers %s with the HTTP status tRPC gives its tRPC code', (code) => {
    const trpcStatus = getHTTPStatusCodeFromError(new TRPCError({ code: APP_ERROR_CODES[code].trpc }));
    expect(httpStatus(new AppError(code, 'refused'))).toBe(trpcStatus);
  });

  it('tells the client an AppError as it is, reason included, and keeps its cause for the log only', () => {
    const cause = new Error('driver detail');
    const error = new AppError('CONFLICT', 'x is the last active admin', { reason: 'last_admin', cause });
    expect(clientError(error)).toBe(error);
    expect(error).toMatchObject({ code: 'CONFLICT', message: 'x is the last active admin', reason: 'last_admin', cause });
    expect(httpStatus(error)).toBe(409);
    expect(Object.hasOwn(new AppError('NOT_FOUND', 'gone'), 'cause')).toBe(false);
  });

  it('turns a database outage into UNAVAILABLE (503), the driver error kept as its cause', () => {
    const driver = new Error('query failed', { cause: outage() });
    const error = clientError(driver);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', message: 'The database is not answering; try again shortly', reason: undefined, cause: driver });
    expect(httpStatus(error!)).toBe(503);
  });

  it('knows nothing of other errors: they stay the 500 of a bug', () => {
    expect(clientError(new Error('Cannot read properties of undefined'))).toBeUndefined();
    expect(clientError('ECONNREFUSED')).toBeUndefined();
  });
});

describe('the error map on a plain route', () => {
  let url: string;
  let server: ReturnType<express.Express['listen']>;
  beforeAll(async () => {
    const app = express();
    app.get('/refused/:code', (req) => {
      const code = req.params.code as AppErrorCode;
      throw new AppError(code, `refused with ${code}`, code === 'CONFLICT' ? { reason: 'home_tenant' } : {});
    });
    app.get('/outage', async () => {
      throw new Error('query failed', { cause: outage() });
    });
    app.get('/bug', () => {
      throw new Error('database password is hunter2');
    });
    app.use(appErrors);
    app.use(((_error, _req, res, _next) => void res.status(500).json({ error: 'Internal server error' })) as express.ErrorRequestHandler);
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const get = async (path: string) => {
    const response = await fetch(`${url}${path}`);
    return { status: response.status, cacheControl: response.headers.get('cache-control'), body: (await response.json()) as unknown };
  };

  it.each([
    ['BAD_REQUEST', 400],
    ['FORBIDDEN', 403],
    ['NOT_FOUND', 404],
    ['FEATURE_DISABLED', 412],
    ['UNAVAILABLE', 503],
  ] as const)('answers an AppError %s with %i and its message, never cached', async (code, status) => {
    expect(await get(`/refused/${code}`)).toEqual({ status, cacheControl: 'no-store', body: { error: `refused with ${code}` } });
  });

  it('carries the reason beside the message', async () => {
    expect(await get('/refused/CONFLICT')).toMatchObject({ status: 409, body: { error: 'refused with CONFLICT', reason: 'home_tenant' } });
  });

  it('answers a database outage 503, saying so', async () => {
    expect(await get('/outage')).toMatchObject({ status: 503, body: { error: 'The database is not answering; try again shortly' } });
  });

  it('passes anything else on to the 500, which names nothing', async () => {
    const answer = await get('/bug');
    expect(answer.status).toBe(500);
    expect(JSON.stringify(answer.body)).not.toContain('hunter2');
  });
});
