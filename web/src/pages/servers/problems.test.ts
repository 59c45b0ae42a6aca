import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { initialValues, labelsFor } from './formValues';
import { placeRefusal } from './problems';

const labels = labelsFor({ ...initialValues(null), authKind: 'bearer' });
const refusal = (message: string, data: Record<string, unknown>) => TRPCClientError.from({ error: { message, code: -32600, data } });

describe('placeRefusal', () => {
  it("puts zod's messages beside their fields, the label first", () => {
    const error = refusal('slug: must be 1 to 16 characters; auth.token: must not be empty', {
      code: 'BAD_REQUEST',
      fieldErrors: { slug: ['must be 1 to 16 characters'], auth: ['must not be empty'] },
    });
    expect(placeRefusal(error, labels)).toEqual({
      fields: { slug: 'Slug must be 1 to 16 characters', secret: 'Token must not be empty' },
      general: null,
    });
  });

  it("keeps a service's sentence whole, even with a semicolon in it", () => {
    const error = refusal('slug: everything is already taken by another server in Contoso; choose another', { code: 'CONFLICT' });
    expect(placeRefusal(error, labels)).toEqual({
      fields: { slug: 'Slug: everything is already taken by another server in Contoso; choose another' },
      general: null,
    });
  });

  it('leaves what names no field, and other refusals, to the banner', () => {
    const forbidden = refusal('You need registry:write', { code: 'FORBIDDEN' });
    expect(placeRefusal(forbidden, labels)).toEqual({ fields: {}, general: forbidden });
    const unnamed = refusal('Bad input', { code: 'BAD_REQUEST' });
    expect(placeRefusal(unnamed, labels)).toEqual({ fields: {}, general: unnamed });
  });
});
