/** The simulators' clock: real time plus an offset (set at start or through /admin/clock). */
export class Clock {
  constructor(public offsetMs = 0) {}

  now(): number {
    return Date.now() + this.offsetMs;
  }

  iso(): string {
    return new Date(this.now()).toISOString();
  }

  /** Today's calendar date in Asia/Seoul (UTC+9, no daylight saving), 'YYYY-MM-DD'. */
  todayKst(): string {
    return kstDate(this.now());
  }
}

export function kstDate(epochMs: number): string {
  return new Date(epochMs + 9 * 3600_000).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}
