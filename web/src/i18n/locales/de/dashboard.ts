import type { Translation } from '../../translation';
import type en from '../en/dashboard';

export default {
  welcome: 'Willkommen, {{name}}',
  joined:
    'Sie sind {{tenant}} als {{role}} beigetreten, und das ist jetzt Ihr aktiver Mandant. Zu Ihren anderen Mandanten wechseln Sie oben auf der Seite.',
  activeTenant: 'Aktiver Mandant',
  noMembership: 'Keine aktive Mitgliedschaft',
  yourRole: 'Ihre Rolle',
  permissions: 'Berechtigungen',
  noPermissions: 'Keine in diesem Mandanten',
  sessionEnds: 'Sitzung endet spätestens',
  usageScope: 'in {{tenant}}',
  quickLinks: 'Schnellzugriff',
  role: {
    admin: 'Admin',
    member: 'Mitglied',
    viewer: 'Betrachter',
  },
  roleAs: {
    admin: 'Admin',
    member: 'Mitglied',
    viewer: 'Betrachter',
  },
  notFound: {
    title: 'Seite nicht gefunden',
    text: 'Unter {{path}} gibt es hier keine Seite.',
    back: 'Zur Übersicht',
  },
} satisfies Translation<typeof en>;
