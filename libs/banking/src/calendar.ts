import { BANK_HOLIDAYS, BankHoliday, COVERED_YEARS } from './holidays';
import { addDays, assertDate, weekdayOf, yearOf } from './kst';

/** Thrown for a date the holiday data does not cover: the calendar never guesses. */
export class BusinessCalendarNotCovered extends RangeError {
  constructor(readonly date: string) {
    super(
      `the bank business calendar covers ${COVERED_YEARS.join(', ')} only, not ${date}: ` +
      'extend libs/banking/src/holidays.ts (BANK_HOLIDAYS and COVERED_YEARS) with that year\'s bank holidays',
    );
    this.name = 'BusinessCalendarNotCovered';
  }
}

const byDate: ReadonlyMap<string, BankHoliday> = new Map(BANK_HOLIDAYS.map((h) => [h.date, h]));

function assertCovered(date: string): void {
  assertDate(date);
  if (!COVERED_YEARS.includes(yearOf(date))) throw new BusinessCalendarNotCovered(date);
}

/** The bank holiday on a KST date, if any (weekends aside). */
export function bankHoliday(kstDate: string): BankHoliday | undefined {
  assertCovered(kstDate);
  return byDate.get(kstDate);
}

/** Banks' business day: Monday–Friday and not a listed holiday. `kstDate` is YYYY-MM-DD in Asia/Seoul. */
export function isBusinessDay(kstDate: string): boolean {
  assertCovered(kstDate);
  const weekday = weekdayOf(kstDate);
  return weekday !== 0 && weekday !== 6 && !byDate.has(kstDate);
}

/** The first business day strictly after `kstDate`. Throws when the answer would lie outside the covered years. */
export function nextBusinessDay(kstDate: string): string {
  assertCovered(kstDate);
  let date = addDays(kstDate, 1);
  // A gap of more than two weeks would mean broken data, not a real calendar.
  for (let i = 0; i < 15; i++, date = addDays(date, 1)) {
    if (isBusinessDay(date)) return date;
  }
  throw new Error(`no business day within 15 days after ${kstDate}: check libs/banking/src/holidays.ts`);
}
