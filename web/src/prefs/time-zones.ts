/**
 * The time-zone picker's list. Browsers list zones by ICU's canonical ids, some of them names the
 * tz database retired long ago (Asia/Calcutta, Europe/Kiev): those are shown and stored by their
 * current name, which every browser accepts as well.
 */
const CURRENT_NAMES: Record<string, string> = {
  'Africa/Asmera': 'Africa/Asmara',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'America/Coral_Harbour': 'America/Atikokan',
  'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Louisville': 'America/Kentucky/Louisville',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Dacca': 'Asia/Dhaka',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Asia/Thimbu': 'Asia/Thimphu',
  'Asia/Ulan_Bator': 'Asia/Ulaanbaatar',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Europe/Uzhgorod': 'Europe/Kyiv',
  'Europe/Zaporozhye': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
  'Etc/UTC': 'UTC',
};

/** A zone's current name (Asia/Calcutta: Asia/Kolkata). */
export const currentZoneName = (zone: string): string => CURRENT_NAMES[zone] ?? zone;

export interface ZoneOption {
  /** The IANA id stored in the preference: always a current name. */
  id: string;
  /** Minutes east of UTC at `now`. */
  offsetMinutes: number;
  /** "UTC+05:30", "UTC−08:00", "UTC". */
  offset: string;
  /** The zone's name in `locale`, such as "India Standard Time" or "Indische Normalzeit". */
  name: string;
  /** What a search looks through, lower case. */
  haystack: string;
}

function offsetOf(zone: string, now: Date): number {
  const part = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(now).find((p) => p.type === 'timeZoneName');
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(part?.value ?? '');
  return match ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : 0;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "UTC+05:30", with a true minus sign. */
export function formatOffset(minutes: number): string {
  if (minutes === 0) return 'UTC';
  const abs = Math.abs(minutes);
  return `UTC${minutes < 0 ? '−' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Every zone the browser knows, under current names, with its offset now and its name in `locale`; by offset, then id. */
export function zoneOptions(zones: readonly string[], locale: string, now: Date): ZoneOption[] {
  const ids = [...new Set(['UTC', ...zones.map(currentZoneName)])];
  return ids
    .map((id) => {
      const offsetMinutes = offsetOf(id, now);
      const offset = formatOffset(offsetMinutes);
      const name =
        new Intl.DateTimeFormat(locale, { timeZone: id, timeZoneName: 'longGeneric' }).formatToParts(now).find((p) => p.type === 'timeZoneName')?.value ?? '';
      // "+05:30" and "+5:30" both find Kolkata; "los angeles" finds America/Los_Angeles.
      const hours = `${offsetMinutes < 0 ? '-' : '+'}${Math.floor(Math.abs(offsetMinutes) / 60)}:${pad(Math.abs(offsetMinutes) % 60)}`;
      const haystack = [id, id.replaceAll('_', ' '), name, offset.replace('−', '-'), hours].join(' ').toLowerCase();
      return { id, offsetMinutes, offset, name, haystack };
    })
    .sort((a, b) => a.offsetMinutes - b.offsetMinutes || (a.id < b.id ? -1 : 1));
}

/** The options matching every word of `query` (case-insensitive, "_" as a space), all of them for an empty one. */
export function searchZones(options: readonly ZoneOption[], query: string): ZoneOption[] {
  const words = query.toLowerCase().replaceAll('_', ' ').replaceAll('−', '-').split(/\s+/).filter(Boolean);
  return words.length === 0 ? [...options] : options.filter((option) => words.every((word) => option.haystack.includes(word)));
}

/** "UTC+05:30 · Asia/Kolkata · India Standard Time": what the picker shows for one zone. */
export const zoneLabel = (option: ZoneOption): string =>
  [option.offset, option.id.replaceAll('_', ' '), option.name].filter(Boolean).join(' · ');
