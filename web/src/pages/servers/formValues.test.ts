import { describe, expect, it } from 'vitest';
import type { Server } from '@mreg/shared';
import { authToSend, createInput, initialValues, saveProblems, testInput, testProblems, updateInput, type FormValues } from './formValues';

const server: Server = {
  id: '5b0c8c1e-8f5e-4a57-9d7e-2f0a3e9c1b11',
  slug: 'github',
  name: 'GitHub',
  url: 'https://mcp.example.com/mcp',
  description: null,
  enabled: true,
  auth: { kind: 'bearer' },
  status: 'healthy',
  lastCheckedAt: null,
  lastError: null,
  toolCount: 3,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
const editing = (patch: Partial<FormValues>, on: Server = server): FormValues => ({ ...initialValues(on), ...patch });

describe('the credential sent', () => {
  it('keeps a stored secret when its field is left empty, and sends nothing then', () => {
    expect(initialValues(server).secret).toBe('');
    expect(authToSend(editing({}), server.auth)).toBeUndefined();
    const header: Server = { ...server, auth: { kind: 'header', name: 'X-Api-Key' } };
    expect(authToSend(editing({}, header), header.auth)).toBeUndefined();
  });

  it('replaces it when a value is typed, or when the kind or the header name changes', () => {
    expect(authToSend(editing({ secret: 'new' }), server.auth)).toEqual({ kind: 'bearer', token: 'new' });
    expect(authToSend(editing({ authKind: 'none' }), server.auth)).toEqual({ kind: 'none' });
    const header: Server = { ...server, auth: { kind: 'header', name: 'X-Api-Key' } };
    // A new name replaces the credential whole: the value must come again, and the schema says so.
    expect(authToSend(editing({ headerName: 'X-Key' }, header), header.auth)).toEqual({ kind: 'header', name: 'X-Key', value: '' });
    expect(saveProblems(editing({ headerName: 'X-Key' }, header), header)).toEqual({ secret: 'Header value must not be empty' });
  });

  it('is none for a new server without one, and must be typed for one that needs it', () => {
    const values = { ...initialValues(null), name: 'A', slug: 'a', url: 'https://a.example/mcp' };
    expect(createInput(values).auth).toEqual({ kind: 'none' });
    expect(saveProblems({ ...values, authKind: 'bearer' }, null)).toEqual({ secret: 'Token must not be empty' });
  });
});

describe('what is sent', () => {
  it('an update carries only the fields that changed', () => {
    expect(updateInput(editing({}), server)).toEqual({ id: server.id });
    expect(updateInput(editing({ name: 'GitHub Enterprise', description: 'Ours' }), server)).toEqual({
      id: server.id,
      name: 'GitHub Enterprise',
      description: 'Ours',
    });
  });

  it('a test of a server being edited names it, so that its stored secret stands in', () => {
    expect(testInput(editing({}), server)).toEqual({ id: server.id, url: server.url });
    expect(testInput({ ...initialValues(null), url: ' https://a.example/mcp ' }, null)).toEqual({ url: 'https://a.example/mcp', auth: { kind: 'none' } });
  });
});

describe('the shared schemas, in the form', () => {
  it('say each field is wrong by its label', () => {
    expect(saveProblems(initialValues(null), null)).toEqual({
      name: 'Name must not be empty',
      slug: 'Slug must be 1 to 16 characters: lowercase letters, digits and -',
      url: 'URL is required',
    });
    expect(testProblems({ ...initialValues(null), url: 'ftp://a.example/' }, null)).toEqual({ url: 'URL must start with http:// or https://, not ftp://' });
  });
});
