import type { EntityManager } from '@mikro-orm/postgresql';
import { InvalidRequestError, InvalidScopeError, InvalidTargetError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { AuthorizationParams } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { OAuthClientInformationFull } from '@modelcontextprotocol/sdk/shared/auth.js';
import { OAUTH_CODE_SECONDS, OAUTH_NEW_CLIENT_SECONDS, OAUTH_REQUEST_SECONDS, OAUTH_SCOPE, type OAuthConsent, type Role } from '@mreg/shared';
import { AppError } from '../../errors';
import { hashToken, newToken } from '../../lib/tokens';
import { audit } from '../audit/audit.writer';
import { redirectHost } from './oauth.clients';
import { parseResource } from './resource';

/**
 * From /authorize to the client's redirect URI: the request waits in the database (10 minutes) for
 * the person, who opens the consent page (`/oauth/consent?request=<id>`) signed in, picks the tenant
 * and approves (a grant and a single-use code, 60 s) or denies (`error=access_denied`). The request's
 * id is a secret of the browser that was sent to it (only its SHA-256 is kept); it is answered
 * once. State goes back exactly as it came.
 */

/** A PKCE S256 challenge: base64url of a SHA-256 (RFC 7636). */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** The longest state MREG carries back. */
const MAX_STATE_LENGTH = 2048;
/** The scopes kept of a request, to show on the consent page: at most so many, each at most so long. */
const MAX_SCOPES = 20;
const MAX_SCOPE_LENGTH = 100;
/** Control characters (NUL among them, which PostgreSQL cannot store) are refused in what is kept. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The consent page for a new request; called by the SDK's /authorize handler once client and redirect URI are checked. */
export async function createAuthorizationRequest(
  em: EntityManager,
  publicUrl: URL,
  client: OAuthClientInformationFull,
  params: AuthorizationParams,
  now: Date,
): Promise<string> {
  if (!params.resource) {
    throw new InvalidTargetError(`resource is required (RFC 8707): ${publicUrl.origin}/mcp, or ${publicUrl.origin}/mcp/<slug> for one server`);
  }
  const resource = parseResource(params.resource.href, publicUrl);
  if (!resource) throw new InvalidTargetError(`resource must be ${publicUrl.origin}/mcp or ${publicUrl.origin}/mcp/<slug>, not ${params.resource.href.slice(0, 200)}`);
  if (!S256_CHALLENGE.test(params.codeChallenge)) throw new InvalidRequestError('code_challenge must be an S256 challenge: 43 base64url characters');
  if (params.state !== undefined && params.state.length > MAX_STATE_LENGTH) throw new InvalidRequestError(`state is longer than ${MAX_STATE_LENGTH} characters`);
  if (params.state !== undefined && CONTROL.test(params.state)) throw new InvalidRequestError('state holds control characters');
  const scopes = (params.scopes ?? []).filter((scope) => scope !== '');
  if (scopes.length > MAX_SCOPES || scopes.some((scope) => scope.length > MAX_SCOPE_LENGTH || CONTROL.test(scope))) {
    throw new InvalidScopeError(`scope may hold at most ${MAX_SCOPES} scopes of at most ${MAX_SCOPE_LENGTH} printable characters`);
  }
  const id = newToken();
  await em.execute(
    `insert into oauth_requests (id_hash, client_id, redirect_uri, state, code_challenge, resource, scopes, created_at, expires_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      hashToken(id),
      client.client_id,
      params.redirectUri,
      params.state ?? null,
      params.codeChallenge,
      resource.url,
      // What was asked, as the consent page shows it; MREG grants OAUTH_SCOPE whatever it was.
      JSON.stringify(scopes),
      now,
      new Date(now.getTime() + OAUTH_REQUEST_SECONDS * 1000),
    ],
  );
  return `${publicUrl.origin}/oauth/consent?request=${id}`;
}

interface RequestRow {
  client_id: string;
  redirect_uri: string;
  state: string | null;
  code_challenge: string;
  resource: string;
  scopes: string[];
  expires_at: Date;
  client_name: string | null;
  client_created_at: Date;
}

const GONE = 'This authorization request has expired or was already answered; start again from your MCP client';

/**
 * The request, while it waits; NOT_FOUND once it is gone (answered or expired). Its id is the
 * secret of the browser that /authorize sent to the consent page: whoever holds it and is signed
 * in may answer, once. With `lock`, for the answer: the row is locked until the caller's transaction ends.
 */
async function waitingRequest(em: EntityManager, requestId: string, now: Date, lock: boolean): Promise<RequestRow> {
  const [row] = await em.execute<RequestRow[]>(
    `select r.client_id, r.redirect_uri, r.state, r.code_challenge, r.resource, r.scopes, r.expires_at, c.name as client_name, c.created_at as client_created_at
       from oauth_requests r join oauth_clients c on c.id = r.client_id
      where r.id_hash = ? and r.expires_at > ?${lock ? ' for update of r' : ''}`,
    [hashToken(requestId), now],
  );
  if (!row) throw new AppError('NOT_FOUND', GONE);
  return row;
}

interface Choice {
  tenant_id: string;
  name: string;
  role: Role;
  has_server: boolean;
}

/** The person's active memberships, and whether each has the resource's server (always, for /mcp). */
async function tenantChoices(em: EntityManager, userId: string, slug: string | null): Promise<Choice[]> {
  return em.execute<Choice[]>(
    `select m.tenant_id, t.name, m.role,
            (?::text is null or exists (select 1 from mcp_servers s where s.tenant_id = m.tenant_id and s.slug = ?)) as has_server
       from user_tenant_memberships m join tenants t on t.id = m.tenant_id
      where m.user_id = ? and m.is_active
      order by t.name, m.tenant_id`,
    [slug, slug, userId],
  );
}

/** What the consent page shows. */
export async function consentFor(em: EntityManager, publicUrl: URL, requestId: string, userId: string, activeTenantId: string | null, now: Date): Promise<OAuthConsent> {
  const row = await waitingRequest(em, requestId, now, false);
  const resource = parseResource(row.resource, publicUrl)!;
  const created = new Date(row.client_created_at);
  const choices = await tenantChoices(em, userId, resource.slug);
  return {
    client: {
      id: row.client_id,
      name: row.client_name,
      redirectHost: redirectHost(row.redirect_uri),
      registeredAt: created.toISOString(),
      registeredRecently: now.getTime() - created.getTime() < OAUTH_NEW_CLIENT_SECONDS * 1000,
      verified: false,
    },
    resource,
    scopes: row.scopes,
    tenants: choices.map((choice) => ({ tenantId: choice.tenant_id, tenantName: choice.name, role: choice.role, available: choice.has_server })),
    activeTenantId,
    expiresAt: new Date(row.expires_at).toISOString(),
  };
}

/** The client's redirect URI with `params` added (those already in it stay). */
function redirectWith(uri: string, params: Record<string, string | null>): string {
  const url = new URL(uri);
  for (const [name, value] of Object.entries(params)) if (value !== null) url.searchParams.set(name, value);
  return url.href;
}

/**
 * The person's answer. Approving makes (or renews) the grant for the chosen tenant and a code bound
 * to client, redirect URI, PKCE challenge and resource; denying sends `access_denied`. Either way
 * the request is used up, and the answer recorded (oauth.grant_approved, oauth.grant_denied) with
 * it. BAD_REQUEST, with nothing changed, for a tenant the person cannot choose. A denial names no
 * tenant of its own: it is recorded in the one chosen, else the person's active tenant, when they
 * are an active member there.
 */
export async function decide(
  em: EntityManager,
  publicUrl: URL,
  input: { requestId: string; approve: boolean; tenantId?: string },
  person: { userId: string; activeTenantId: string | null },
  now: Date,
): Promise<{ redirectTo: string }> {
  const { userId } = person;
  return em.transactional(async (tx) => {
    const row = await waitingRequest(tx, input.requestId, now, true);
    const resource = parseResource(row.resource, publicUrl)!;
    const answer = (params: Record<string, string | null>) => ({ redirectTo: redirectWith(row.redirect_uri, { ...params, state: row.state }) });
    const choices = await tenantChoices(tx, userId, resource.slug);
    if (!input.approve) {
      await tx.execute(`delete from oauth_requests where id_hash = ?`, [hashToken(input.requestId)]);
      const known = [input.tenantId, person.activeTenantId].find((id) => choices.some((c) => c.tenant_id === id));
      await audit(tx, {
        action: 'oauth.grant_denied',
        tenantId: known ?? null,
        actor: { kind: 'user', userId },
        target: { kind: 'oauth_client', id: row.client_id, label: row.client_name },
        details: { resource: resource.url },
      });
      return answer({ error: 'access_denied', error_description: 'The person denied the request' });
    }
    const choice = choices.find((c) => c.tenant_id === input.tenantId);
    if (!choice) throw new AppError('BAD_REQUEST', `tenantId: you have no active membership of ${JSON.stringify(input.tenantId)}`);
    if (!choice.has_server) throw new AppError('BAD_REQUEST', `tenantId: ${choice.name} has no server ${resource.slug}; choose a tenant that has it`);
    await tx.execute(`delete from oauth_requests where id_hash = ?`, [hashToken(input.requestId)]);
    // One live grant per client, person, tenant and resource (a unique index): approving again renews it.
    const [grant] = await tx.execute<{ id: string }[]>(
      `insert into oauth_grants (client_id, user_id, tenant_id, resource, scope, approved_at) values (?, ?, ?, ?, ?, ?)
         on conflict (client_id, user_id, tenant_id, resource) where revoked_at is null
         do update set approved_at = excluded.approved_at, scope = excluded.scope
       returning id`,
      [row.client_id, userId, choice.tenant_id, resource.url, OAUTH_SCOPE, now],
    );
    // An approved client is kept while it is in use (the clean-up deletes only registrations no one approved, or long idle).
    await tx.execute(`update oauth_clients set approved_at = ? where id = ?`, [now, row.client_id]);
    await audit(tx, {
      action: 'oauth.grant_approved',
      tenantId: choice.tenant_id,
      actor: { kind: 'user', userId },
      target: { kind: 'grant', id: grant!.id, label: row.client_name },
      details: { clientId: row.client_id, resource: resource.url },
    });
    const code = newToken();
    await tx.execute(
      `insert into oauth_codes (code_hash, grant_id, client_id, redirect_uri, code_challenge, resource, created_at, expires_at) values (?, ?, ?, ?, ?, ?, ?, ?)`,
      [hashToken(code), grant!.id, row.client_id, row.redirect_uri, row.code_challenge, resource.url, now, new Date(now.getTime() + OAUTH_CODE_SECONDS * 1000)],
    );
    return answer({ code });
  });
}
