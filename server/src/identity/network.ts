import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';

/**
 * Every outbound HTTP request of the identity module (msal's token calls, jose's JWKS fetches) goes
 * through one `fetch`, so that tests can hold it to loopback and production can time it out.
 */
export type OutboundFetch = (url: string, init?: RequestInit) => Promise<Response>;

const OUTBOUND_TIMEOUT_MS = 10_000;

export const defaultFetch: OutboundFetch = (url, init) =>
  fetch(url, { ...init, signal: init?.signal ?? AbortSignal.timeout(OUTBOUND_TIMEOUT_MS) });

export class OutboundRequestRefused extends Error {
  constructor(readonly url: string) {
    super(`Refused an outbound request to ${new URL(url).host}: only loopback addresses are allowed here`);
    this.name = 'OutboundRequestRefused';
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** A fetch that fails on any host but loopback, recording every URL it was asked for. */
export function loopbackOnlyFetch(inner: OutboundFetch = defaultFetch) {
  const requested: string[] = [];
  const refused: string[] = [];
  const guarded: OutboundFetch = async (url, init) => {
    requested.push(url);
    if (!LOOPBACK_HOSTS.has(new URL(url).hostname)) {
      refused.push(url);
      throw new OutboundRequestRefused(url);
    }
    return inner(url, init);
  };
  return { fetch: guarded, requested, refused };
}

/** msal-node's network client on top of an OutboundFetch. */
export function msalNetworkClient(outbound: OutboundFetch): INetworkModule {
  async function send<T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    const response = await outbound(url, { method, headers: options?.headers, body: options?.body });
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = { error: 'invalid_response', error_description: `Non-JSON answer with status ${response.status}` };
    }
    return { status: response.status, headers: Object.fromEntries(response.headers), body: body as T };
  }
  return {
    sendGetRequestAsync: (url, options) => send('GET', url, options),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}
