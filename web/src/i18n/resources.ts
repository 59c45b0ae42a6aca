// Every namespace of every language, bundled in the entry chunk (about 36 kB gzip for both), so
// that a change of language is synchronous and no page shows half its words in the old one.
import en_common from './locales/en/common';
import en_signin from './locales/en/signin';
import en_dashboard from './locales/en/dashboard';
import en_servers from './locales/en/servers';
import en_apikeys from './locales/en/apikeys';
import en_audit from './locales/en/audit';
import en_sessions from './locales/en/sessions';
import en_profile from './locales/en/profile';
import en_preferences from './locales/en/preferences';
import en_members from './locales/en/members';
import de_common from './locales/de/common';
import de_signin from './locales/de/signin';
import de_dashboard from './locales/de/dashboard';
import de_servers from './locales/de/servers';
import de_apikeys from './locales/de/apikeys';
import de_audit from './locales/de/audit';
import de_sessions from './locales/de/sessions';
import de_profile from './locales/de/profile';
import de_preferences from './locales/de/preferences';
import de_members from './locales/de/members';

export const resources = {
  en: {
    common: en_common,
    signin: en_signin,
    dashboard: en_dashboard,
    servers: en_servers,
    apikeys: en_apikeys,
    audit: en_audit,
    sessions: en_sessions,
    profile: en_profile,
    preferences: en_preferences,
    members: en_members,
  },
  de: {
    common: de_common,
    signin: de_signin,
    dashboard: de_dashboard,
    servers: de_servers,
    apikeys: de_apikeys,
    audit: de_audit,
    sessions: de_sessions,
    profile: de_profile,
    preferences: de_preferences,
    members: de_members,
  },
} as const;

export const NAMESPACES = ['common', 'signin', 'dashboard', 'servers', 'apikeys', 'audit', 'sessions', 'profile', 'preferences', 'members'] as const;
