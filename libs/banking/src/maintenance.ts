import { addDays, assertInstant, DAY_MS, kstAt, kstDateOf, kstMsOfDay, timeMs } from './kst';

export type MaintenanceKind = 'SERVICE' | 'INTERBANK';

export interface MaintenanceWindowDefinition {
  kind: MaintenanceKind;
  /** KST wall-clock start (inclusive) and end (exclusive), HH:MM; end earlier than start means it spans midnight. */
  startKst: string;
  endKst: string;
}

/** The daily windows in which the bank is not called: requests are accepted and queued meanwhile. */
export const MAINTENANCE_WINDOWS: readonly MaintenanceWindowDefinition[] = [
  { kind: 'SERVICE', startKst: '23:30', endKst: '00:30' },
  { kind: 'INTERBANK', startKst: '23:55', endKst: '00:05' },
];

export interface OpenMaintenanceWindow {
  kind: MaintenanceKind;
  /** When this window closes (exclusive). */
  endsAt: Date;
}

/** Every window open at `instant`, the one that closes first first. */
export function openMaintenanceWindows(instant: Date, windows: readonly MaintenanceWindowDefinition[] = MAINTENANCE_WINDOWS): OpenMaintenanceWindow[] {
  assertInstant(instant, 'instant');
  const date = kstDateOf(instant);
  const t = kstMsOfDay(instant);
  const open: OpenMaintenanceWindow[] = [];
  for (const w of windows) {
    const start = timeMs(w.startKst);
    const end = timeMs(w.endKst);
    if (start < end) {
      if (t >= start && t < end) open.push({ kind: w.kind, endsAt: kstAt(date, w.endKst) });
    } else if (t >= start) {
      open.push({ kind: w.kind, endsAt: kstAt(addDays(date, 1), w.endKst) }); // before midnight: ends tomorrow
    } else if (t < end) {
      open.push({ kind: w.kind, endsAt: kstAt(date, w.endKst) }); // after midnight: ends today
    }
  }
  return open.sort((a, b) => a.endsAt.getTime() - b.endsAt.getTime());
}

/**
 * The maintenance window open at `instant`, if any. When windows overlap (the interbank network's 23:55–00:05 lies
 * inside the service's 23:30–00:30) the one that closes last is reported: its `endsAt` is the earliest time the
 * bank may be called again.
 */
export function maintenanceWindowAt(instant: Date, windows: readonly MaintenanceWindowDefinition[] = MAINTENANCE_WINDOWS): OpenMaintenanceWindow | undefined {
  const open = openMaintenanceWindows(instant, windows);
  return open[open.length - 1];
}

/**
 * How much of [from, to) lies inside any maintenance window (overlapping windows counted once). Time budgets
 * that wait on the bank (a payout's deadline) leave this out: the bank could not be called then.
 */
export function maintenanceOverlapMs(from: Date, to: Date, windows: readonly MaintenanceWindowDefinition[] = MAINTENANCE_WINDOWS): number {
  assertInstant(from, 'from');
  assertInstant(to, 'to');
  if (to.getTime() <= from.getTime()) return 0;
  // Every window occurrence that can touch [from, to): starting on the day before `from` up to the day of `to`.
  const intervals: [number, number][] = [];
  const last = kstDateOf(to);
  for (let date = addDays(kstDateOf(from), -1); date <= last; date = addDays(date, 1)) {
    for (const w of windows) {
      const start = kstAt(date, w.startKst).getTime();
      const endSameDay = kstAt(date, w.endKst).getTime();
      const end = endSameDay > start ? endSameDay : endSameDay + DAY_MS;
      intervals.push([Math.max(start, from.getTime()), Math.min(end, to.getTime())]);
    }
  }
  const clipped = intervals.filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let cursor = -Infinity;
  for (const [s, e] of clipped) {
    const start = Math.max(s, cursor);
    if (e > start) {
      total += e - start;
      cursor = e;
    }
  }
  return total;
}
