import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '@mreg/shared';
import { i18n } from '../../i18n';
import { actionLabel, actorName, eventSentence, eventVia, outcomeLabel, reasonWords, viaWords } from './words';

const ADA = '11111111-1111-4111-8111-111111111111';
const UMA = '22222222-2222-4222-8222-222222222222';

function event(overrides: Partial<AuditEvent> & Pick<AuditEvent, 'action'>): AuditEvent {
  return {
    id: '1',
    at: '2026-12-06T10:00:00.000Z',
    tenantId: 'contoso',
    actor: { kind: 'user', userId: ADA, name: 'Ada Lovelace', email: 'ada@contoso.test', credentialId: null, credentialName: null },
    target: null,
    outcome: 'success',
    reason: null,
    ip: '127.0.0.1',
    userAgent: null,
    requestId: null,
    durationMs: null,
    details: {},
    ...overrides,
  };
}
const member = (label: string | null, id = UMA) => ({ kind: 'user' as const, id, label });

describe('eventSentence', () => {
  it('says who did what to whom in the tenant', () => {
    expect(eventSentence(event({ action: 'member.removed', target: member('Vic Vance') }), 'Contoso')).toBe('Ada Lovelace removed Vic Vance from Contoso');
    expect(eventSentence(event({ action: 'member.added', target: member('Uma Example'), details: { role: 'admin' } }), 'Contoso')).toBe(
      'Ada Lovelace added Uma Example to Contoso as an admin',
    );
    expect(eventSentence(event({ action: 'tenant.switched', target: { kind: 'tenant', id: 'fabrikam', label: 'Fabrikam' } }), 'Fabrikam')).toBe(
      'Ada Lovelace switched to Fabrikam',
    );
  });

  it('says invitations: sent, renewed, revoked, declined, and a join through one', () => {
    const invitation = { kind: 'invitation' as const, id: 'i1', label: 'kim@northwind.test' };
    expect(eventSentence(event({ action: 'invitation.created', target: invitation, details: { role: 'viewer' } }), 'Contoso')).toBe(
      'Ada Lovelace invited kim@northwind.test to Contoso as a viewer',
    );
    expect(eventSentence(event({ action: 'invitation.renewed', target: invitation }), 'Contoso')).toBe('Ada Lovelace made a new invitation link for kim@northwind.test');
    expect(eventSentence(event({ action: 'invitation.revoked', target: invitation }), 'Contoso')).toBe('Ada Lovelace revoked the invitation of kim@northwind.test');
    const kim = { kind: 'user' as const, userId: UMA, name: 'Kim', email: 'kim@northwind.test', credentialId: null, credentialName: null };
    expect(eventSentence(event({ action: 'invitation.declined', actor: kim, target: invitation }), 'Contoso')).toBe('Kim declined the invitation to Contoso');
    const joined = event({ action: 'member.added', actor: kim, target: member('Kim'), details: { role: 'member', invitation: 'i1' } });
    expect(eventSentence(joined, 'Contoso')).toBe('Kim joined Contoso as a member, by invitation');
    expect(actionLabel('invitation.created')).toBe('Invitations sent');
  });

  it("says whose session was ended: one's own, or a member's by name", () => {
    const session = (owner: string, label: string | null) => event({ action: 'session.revoked', target: { kind: 'session', id: 's1', label }, details: { userId: owner } });
    expect(eventSentence(session(ADA, 'Ada Lovelace'), 'Contoso')).toBe('Ada Lovelace ended one of their sessions');
    expect(eventSentence(session(UMA, 'Uma Umarova'), 'Contoso')).toBe('Ada Lovelace ended a session of Uma Umarova');
  });

  it('names the roles of a role change, and speaks of permissions when the role stayed', () => {
    const changed = event({ action: 'member.role_changed', target: member('Uma Example'), details: { role: 'admin', previousRole: 'member' } });
    expect(eventSentence(changed, 'Contoso')).toBe('Ada Lovelace changed the role of Uma Example from member to admin');
    const same = event({ action: 'member.role_changed', target: member('Uma Example'), details: { role: 'member', previousRole: 'member' } });
    expect(eventSentence(same, 'Contoso')).toBe('Ada Lovelace changed the permissions of Uma Example');
    const own = event({ action: 'member.role_changed', target: member('Ada Lovelace', ADA), details: { role: 'member', previousRole: 'admin' } });
    expect(eventSentence(own, 'Contoso')).toBe('Ada Lovelace changed their own role from admin to member');
  });

  it('gives a tool call its tool, server and duration', () => {
    const call = event({
      action: 'tool.called',
      actor: { kind: 'api_key', userId: UMA, name: 'Uma Example', email: 'uma@contoso.test', credentialId: 'k1', credentialName: 'Laptop' },
      target: { kind: 'server', id: 's1', label: 'Everything' },
      durationMs: 12,
      details: { tool: 'echo', server: 'everything' },
    });
    expect(eventSentence(call, 'Contoso')).toBe('Uma Example called the tool echo on the server everything (12 ms)');
    expect(eventVia(call)).toBe('via API key Laptop');
    const timedOut = { ...call, outcome: 'timeout' as const, durationMs: 30_000, reason: 'upstream_timeout' };
    expect(eventSentence(timedOut, 'Contoso')).toBe('Uma Example called the tool echo on the server everything (30.0 s, upstream timeout)');
  });

  it('says a failed sign-in was for whoever it claimed to be, with the reason', () => {
    const failed = event({
      action: 'auth.sign_in',
      actor: { kind: 'anonymous', userId: null, name: 'kim@x.test', email: null, credentialId: null, credentialName: null },
      outcome: 'failure',
      reason: 'tenant_not_allowed',
    });
    expect(eventSentence(failed, 'Contoso')).toBe('Sign-in failed for kim@x.test (tenant not allowed)');
    expect(eventSentence(event({ action: 'auth.sign_in' }), 'Contoso')).toBe('Ada Lovelace signed in');
  });

  it('falls back to ids and "Someone" where names are gone', () => {
    const gone = event({
      action: 'member.removed',
      actor: { kind: 'user', userId: ADA, name: null, email: null, credentialId: null, credentialName: null },
      target: { kind: 'user', id: UMA, label: null },
    });
    expect(eventSentence(gone, 'Contoso')).toBe(`Someone removed ${UMA} from Contoso`);
    expect(actorName(event({ action: 'server.unhealthy', actor: { kind: 'system', userId: null, name: null, email: null, credentialId: null, credentialName: null } }))).toBe('MREG');
  });
});

describe('viaWords', () => {
  it('names the API key or the MCP client a person acted through, and nothing for the browser', () => {
    const base = event({ action: 'tool.called' });
    expect(viaWords(base)).toBeNull();
    expect(viaWords({ actor: { ...base.actor, kind: 'oauth_client', credentialName: 'Claude Desktop' } })).toBe('via Claude Desktop');
    expect(viaWords({ actor: { ...base.actor, kind: 'oauth_client', credentialName: null } })).toBe('via an unnamed MCP client');
    expect(viaWords({ actor: { ...base.actor, kind: 'api_key', credentialName: null } })).toBe('via an API key');
  });

  it('is left out where the sentence names the key already', () => {
    const first = event({
      action: 'api_key.first_used',
      actor: { kind: 'api_key', userId: ADA, name: 'Ada Lovelace', email: null, credentialId: 'k1', credentialName: 'CI' },
      target: { kind: 'api_key', id: 'k1', label: 'CI' },
    });
    expect(eventSentence(first, 'Contoso')).toBe('Ada Lovelace used the API key CI for the first time');
    expect(eventVia(first)).toBeNull();
  });
});

describe('in German', () => {
  it('says the events, their actions, outcomes and reasons in German, durations in the locale', async () => {
    await i18n.changeLanguage('de');
    try {
      expect(eventSentence(event({ action: 'member.removed', target: member('Vic Vance') }), 'Contoso')).toBe('Ada Lovelace hat Vic Vance aus Contoso entfernt');
      expect(eventSentence(event({ action: 'member.added', target: member('Uma Example'), details: { role: 'admin' } }), 'Contoso')).toBe(
        'Ada Lovelace hat Uma Example als Admin zu Contoso hinzugefügt',
      );
      expect(eventSentence(event({ action: 'invitation.created', target: { kind: 'invitation', id: 'i1', label: 'kim@northwind.test' }, details: { role: 'viewer' } }), 'Contoso')).toBe(
        'Ada Lovelace hat kim@northwind.test als Betrachter zu Contoso eingeladen',
      );
      const changed = event({ action: 'member.role_changed', target: member('Uma Example'), details: { role: 'admin', previousRole: 'member' } });
      expect(eventSentence(changed, 'Contoso')).toBe('Ada Lovelace hat für Uma Example die Rolle von Mitglied auf Admin geändert');
      const call = event({
        action: 'tool.called',
        actor: { kind: 'api_key', userId: UMA, name: 'Uma Example', email: null, credentialId: 'k1', credentialName: 'Laptop' },
        outcome: 'timeout',
        durationMs: 30_000,
        reason: 'upstream_timeout',
        details: { tool: 'echo', server: 'everything' },
      });
      expect(eventSentence(call, 'Contoso', 'de-DE')).toBe(
        'Uma Example hat das Tool echo auf dem Server everything aufgerufen (30,0 s, Zeitüberschreitung beim Server)',
      );
      expect(eventVia(call)).toBe('über den API-Schlüssel Laptop');
      const failed = event({
        action: 'auth.sign_in',
        actor: { kind: 'anonymous', userId: null, name: null, email: null, credentialId: null, credentialName: null },
        outcome: 'failure',
        reason: 'a_new_reason',
      });
      expect(eventSentence(failed, 'Contoso')).toBe('Eine Anmeldung ist fehlgeschlagen (a new reason)');
      expect(actionLabel('member.role_changed')).toBe('Rollenänderungen');
      expect(outcomeLabel('timeout')).toBe('Zeitüberschreitung');
      expect(reasonWords('last_admin')).toBe('letzter Admin');
    } finally {
      await i18n.changeLanguage('en');
    }
    expect(reasonWords('last_admin')).toBe('last admin');
  });
});
