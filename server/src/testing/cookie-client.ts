import { Cookie, CookieJar } from 'tough-cookie';
import { Agent, fetch as undiciFetch } from 'undici';

/**
 * A scripted browser for integration tests: fetch with a cookie jar and redirects followed one by
 * one, so a test sees every hop and every Set-Cookie of a sign-in.
 */
export interface Hop {
  url: string;
  status: number;
  location: string | undefined;
  setCookies: Cookie[];
  body: string;
  headers: Headers;
}

/** Where a request for `url` is really sent (a proxy in front of the app, say), with extra headers. */
export type Transport = (url: string) => { url: string; headers: Record<string, string> };

const direct: Transport = (url) => ({ url, headers: {} });

export class CookieClient {
  readonly jar = new CookieJar();
  /** With `localAddress`, requests leave from that address (another loopback one, 127.0.0.2, say). */
  private readonly agent: Agent | undefined;
  constructor(
    readonly headers: Record<string, string> = {},
    readonly transport: Transport = direct,
    localAddress?: string,
  ) {
    this.agent = localAddress ? new Agent({ localAddress }) : undefined;
  }

  async request(url: string, init: RequestInit = {}): Promise<Hop> {
    const cookie = await this.jar.getCookieString(url);
    const target = this.transport(url);
    const send = (this.agent ? (input: string, options: RequestInit) => undiciFetch(input, { ...(options as object), dispatcher: this.agent }) : fetch) as typeof fetch;
    const response = await send(target.url, {
      ...init,
      redirect: 'manual',
      headers: {
        ...this.headers,
        ...target.headers,
        ...(cookie ? { cookie } : {}),
        ...(init.headers as Record<string, string> | undefined),
      },
    });
    const setCookies: Cookie[] = [];
    for (const header of response.headers.getSetCookie()) {
      const parsed = Cookie.parse(header);
      if (parsed) setCookies.push(parsed);
      await this.jar.setCookie(header, url, { ignoreError: true });
    }
    const location = response.headers.get('location') ?? undefined;
    return {
      url,
      status: response.status,
      location: location === undefined ? undefined : new URL(location, url).href,
      setCookies,
      body: await response.text(),
      headers: response.headers,
    };
  }

  /** GETs `url` and follows redirects until `stop` says so or a non-redirect answers; every hop. */
  async follow(url: string, stop: (next: URL) => boolean = () => false, maxHops = 10): Promise<Hop[]> {
    const hops: Hop[] = [];
    let next: string | undefined = url;
    while (next !== undefined && hops.length < maxHops) {
      const hop = await this.request(next);
      hops.push(hop);
      next = hop.status >= 300 && hop.status < 400 ? hop.location : undefined;
      if (next !== undefined && stop(new URL(next))) break;
    }
    return hops;
  }

  postForm(url: string, form: Record<string, string>): Promise<Hop> {
    return this.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }

  async cookie(url: string, name: string): Promise<Cookie | undefined> {
    return (await this.jar.getCookies(url)).find((c) => c.key === name);
  }
}
