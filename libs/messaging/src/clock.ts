/** One clock for every process: tests stand it at 19:59 or on a holiday; the demo pins a business morning. */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol('CLOCK');

export const systemClock: Clock = { now: () => new Date() };

/** Starts at `start` and runs forward at real speed, so timeouts and deadlines still behave. */
export function offsetClock(start: Date, realNow: () => number = Date.now): Clock {
  const offset = start.getTime() - realNow();
  return { now: () => new Date(realNow() + offset) };
}

/** A clock that moves only when told to; for unit tests. */
export class ManualClock implements Clock {
  private current: number;
  constructor(start: Date | string) {
    this.current = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  set(at: Date | string): void {
    this.current = new Date(at).getTime();
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

/**
 * CLOCK_START=2026-11-26T10:00:00+09:00 starts the clock there (then runs at real speed);
 * CLOCK_FROZEN=true keeps it standing at CLOCK_START. CLOCK_START_REAL (ISO-8601) is the real moment at which the
 * clock stood at CLOCK_START: every process given the same pair shows the same time, however late it starts (a
 * restarted service, a second instance); without it the clock starts at CLOCK_START when the process does.
 */
export function clockFromConfig(env: Record<string, string | undefined>, realNow: () => number = Date.now): Clock {
  const start = env.CLOCK_START;
  if (!start) return systemClock;
  const at = new Date(start);
  if (Number.isNaN(at.getTime())) throw new Error(`CLOCK_START is not a valid ISO-8601 time: ${start}`);
  if (env.CLOCK_FROZEN === 'true') return new ManualClock(at);
  if (!env.CLOCK_START_REAL) return offsetClock(at, realNow);
  const anchor = new Date(env.CLOCK_START_REAL).getTime();
  if (Number.isNaN(anchor)) throw new Error(`CLOCK_START_REAL is not a valid ISO-8601 time: ${env.CLOCK_START_REAL}`);
  const offset = at.getTime() - anchor;
  return { now: () => new Date(realNow() + offset) };
}

const KST_OFFSET_MS = 9 * 60 * 60 * 1000; // Korea has had no daylight saving time since 1988

/** Calendar date and wall time in Asia/Seoul, computed explicitly whatever the machine's zone. */
export function kstParts(at: Date): { date: string; time: string; weekday: number; minutes: number } {
  const shifted = new Date(at.getTime() + KST_OFFSET_MS);
  const iso = shifted.toISOString();
  return {
    date: iso.slice(0, 10),
    time: iso.slice(11, 19),
    weekday: shifted.getUTCDay(),
    minutes: shifted.getUTCHours() * 60 + shifted.getUTCMinutes(),
  };
}

export function kstDate(at: Date): string {
  return kstParts(at).date;
}

/** The instant of a KST wall-clock time on a KST date, e.g. kstInstant('2026-11-26', '10:00'). */
export function kstInstant(date: string, time = '00:00:00'): Date {
  const t = time.length === 5 ? `${time}:00` : time;
  return new Date(`${date}T${t}+09:00`);
}
