import type { Translation } from '../../translation';
import type en from '../en/apikeys';

// {{tenant}} is a tenant's name or, where none is known, "diesem Mandanten": the sentences put it in the dative.
export default {
  thisTenant: 'diesem Mandanten',
  title: 'API-Schlüssel',
  lead: 'Persönliche Schlüssel für MCP-Clients und Skripte. Ein Schlüssel handelt in {{tenant}} für Sie, mit Ihren Berechtigungen dort: nicht mehr, und nur, solange Sie Mitglied sind.',
  leadWithRole:
    'Persönliche Schlüssel für MCP-Clients und Skripte. Ein Schlüssel handelt in {{tenant}} für Sie, mit Ihren Berechtigungen dort ({{role}}): nicht mehr, und nur, solange Sie Mitglied sind.',
  roles: {
    admin: 'Admin',
    member: 'Mitglied',
    viewer: 'Betrachter',
  },
  revoked: '{{name}} widerrufen: Der Schlüssel funktioniert nicht mehr.',
  revokeFailed: '{{name}} konnte nicht widerrufen werden',
  listTitle: 'Ihre Schlüssel in {{tenant}}',
  loading: 'Ihre API-Schlüssel werden geladen…',
  loadError: 'Ihre API-Schlüssel konnten nicht geladen werden',
  emptyTitle: 'Sie haben keine API-Schlüssel in {{tenant}}.',
  emptyText:
    'Mit einem API-Schlüssel erreicht ein MCP-Client (Claude, VS Code, Cursor…) oder ein Skript von Ihnen die Server von {{tenant}} über die MCP-Adresse von MREG, ohne Browser. Erstellen Sie oben einen, und fügen Sie ihn dann in die Konfiguration des Clients ein: <connect>MCP-Client verbinden</connect> zeigt, wie.',
  create: {
    title: 'Schlüssel erstellen',
    name: 'Name',
    nameHint: 'Was ihn verwendet, etwa „Claude auf meinem Laptop“ oder „nächtlicher Bericht“; höchstens {{max}} Zeichen.',
    expires: 'Läuft ab',
    expiresHint: '„Nie“: bis Sie ihn widerrufen oder aus {{tenant}} austreten.',
    choices: {
      '7': 'In 7 Tagen',
      '30': 'In 30 Tagen',
      '90': 'In 90 Tagen',
      '365': 'In 1 Jahr',
      never: 'Nie',
    },
    submit: 'Schlüssel erstellen',
    creating: 'Wird erstellt…',
    failed: 'Der Schlüssel wurde nicht erstellt',
  },
  table: {
    label: 'Ihre API-Schlüssel in {{tenant}}',
    name: 'Name',
    key: 'Schlüssel',
    created: 'Erstellt',
    expires: 'Läuft ab',
    lastUsed: 'Zuletzt verwendet',
    action: 'Aktion',
    never: 'Nie',
    expired: 'Abgelaufen',
    neverUsed: 'Nie verwendet',
    revoke: 'Widerrufen',
    revokeLabel: '{{name}} ({{hint}}) widerrufen',
  },
  created: {
    title: 'Ihr neuer Schlüssel: {{name}}',
    warning:
      '<strong>Kopieren Sie ihn jetzt: Er wird nicht noch einmal angezeigt.</strong> MREG speichert nur einen Fingerabdruck davon. Wenn Sie ihn verlieren, widerrufen Sie ihn, und erstellen Sie einen neuen.',
    label: 'API-Schlüssel',
    what: 'den Schlüssel {{name}}',
    use: 'Fügen Sie ihn dort ein, wo Ihr MCP-Client oder Skript danach fragt (siehe <connect>MCP-Client verbinden</connect>); er gehört in den Header <code>{{header}}</code>. Halten Sie ihn aus Code und Chats heraus: Wer ihn hat, handelt als Sie.',
    done: 'Fertig',
  },
  revoke: {
    title: '{{name}} widerrufen?',
    titleUnnamed: 'Den Schlüssel widerrufen?',
    confirm: 'Schlüssel widerrufen',
    body: 'Was <code>{{hint}}</code> verwendet, wird ab der nächsten Anfrage abgewiesen: MCP-Clients und Skripte mit diesem Schlüssel brauchen einen anderen.',
    final: 'Das lässt sich nicht rückgängig machen.',
  },
} satisfies Translation<typeof en>;
