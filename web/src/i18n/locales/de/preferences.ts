import type { Translation } from '../../translation';
import type en from '../en/preferences';

export default {
  title: 'Einstellungen',
  lead: 'Mit Ihrem Konto gespeichert, sodass sie Ihnen in jeden Browser folgen, in dem Sie sich anmelden.',
  appearance: 'Darstellung',
  theme: {
    legend: 'Design',
    hint: 'Wird sofort angewendet und für Ihre nächste Anmeldung gespeichert. System folgt der hellen oder dunklen Einstellung Ihres Geräts.',
    system: 'System',
    light: 'Hell',
    dark: 'Dunkel',
    notSaved: 'Das Design konnte nicht gespeichert werden',
  },
  dates: {
    heading: 'Sprache und Zeitzone',
    notSaved: 'Ihre Sprache und Zeitzone wurden nicht gespeichert',
    language: 'Sprache',
    languageHint: 'Die Sprache der ganzen App und die Schreibweise von Datumsangaben, etwa 5. März 2026 oder 05.03.2026.',
    browserDefault: 'Browser-Standard ({{value}})',
    timeZone: 'Zeitzone',
    timeZoneHint: 'Uhrzeiten werden in dieser Zone angezeigt. Geben Sie eine Stadt, eine Region oder einen Versatz wie +05:30 ein.',
    timeZoneSearch: 'Zeitzonen durchsuchen',
    timeZoneNone: 'Keine Zeitzone passt zu „{{query}}“.',
    timeZoneCount_one: '{{count}} Zeitzone',
    timeZoneCount_other: '{{count}} Zeitzonen',
    yourZone: 'Die Zone Ihres Browsers',
    allZones: 'Alle Zeitzonen',
    example: 'Datumsangaben sehen so aus: <strong>{{example}}</strong>',
    onceSaved: ' (nach dem Speichern)',
    save: 'Speichern',
    saving: 'Wird gespeichert…',
    saved: 'Sprache und Zeitzone gespeichert',
    unchanged: 'Nichts zu speichern: Das sind bereits Ihre Einstellungen',
    note: 'Das Design oben wird sofort bei der Auswahl gespeichert; diese beiden warten auf Speichern.',
  },
  other: {
    heading: 'Weitere Einstellungen',
    none: 'Keine weiteren Einstellungen',
    noneBody: 'Tools und Integrationen können hier über <code>auth.updatePreferences</code> eigene Einstellungen ablegen; sie werden hier schreibgeschützt aufgeführt.',
    hint: 'Von Tools und Integrationen gespeichert und so angezeigt, wie sie sind. Ändern Sie sie in dem Tool, das sie verwendet.',
  },
} satisfies Translation<typeof en>;
