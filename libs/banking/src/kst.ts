/**
 * Asia/Seoul wall-clock arithmetic, computed explicitly from UTC instants (Korea has had no daylight saving time
 * since 1988), so the answer never depends on the machine's time zone. Never Date#getHours/getDay here.
 */
export const KST_OFFSET_MS = 9 * 60 * 60 * 1000;
export const DAY_MS = 24 * 60 * 60 * 1000;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

/** Parses YYYY-MM-DD (a real calendar date) into its UTC-midnight epoch day number in ms. */
function dateMs(date: string): number {
  const m = DATE.exec(date);
  if (!m) throw new TypeError(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (new Date(ms).toISOString().slice(0, 10) !== date) throw new TypeError(`not a calendar date: ${date}`);
  return ms;
}

export function assertDate(date: string): void {
  dateMs(date);
}

export function yearOf(date: string): number {
  return Number(date.slice(0, 4));
}

/** 0 = Sunday … 6 = Saturday, for a calendar date (no zone involved). */
export function weekdayOf(date: string): number {
  return new Date(dateMs(date)).getUTCDay();
}

export function addDays(date: string, days: number): string {
  return new Date(dateMs(date) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The KST calendar date of an instant. */
export function kstDateOf(at: Date): string {
  return new Date(at.getTime() + KST_OFFSET_MS).toISOString().slice(0, 10);
}

/** Milliseconds since KST midnight of an instant. */
export function kstMsOfDay(at: Date): number {
  const ms = at.getTime() + KST_OFFSET_MS;
  return ((ms % DAY_MS) + DAY_MS) % DAY_MS;
}

/** 'HH:MM' or 'HH:MM:SS' → milliseconds since midnight. */
export function timeMs(time: string): number {
  const m = TIME.exec(time);
  if (!m) throw new TypeError(`not an HH:MM time: ${JSON.stringify(time)}`);
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3] ?? 0)) * 1000;
}

/** The instant of a KST wall-clock time on a KST date. */
export function kstAt(date: string, time = '00:00'): Date {
  return new Date(dateMs(date) + timeMs(time) - KST_OFFSET_MS);
}

export function assertInstant(at: Date, what: string): void {
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new TypeError(`${what} is not a valid instant`);
}
