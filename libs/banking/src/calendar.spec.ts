import { BANK_HOLIDAYS, COVERED_YEARS } from './holidays';
import { bankHoliday, BusinessCalendarNotCovered, isBusinessDay, nextBusinessDay } from './calendar';
import { weekdayOf } from './kst';

const WEEKDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

describe('bank business calendar', () => {
  describe('the holiday data', () => {
    it('lists exactly the brief\'s 2026 weekday closures', () => {
      const closedWeekdays2026 = BANK_HOLIDAYS
        .filter((h) => h.date.startsWith('2026') && weekdayOf(h.date) !== 0 && weekdayOf(h.date) !== 6)
        .map((h) => h.date.slice(5));
      expect(closedWeekdays2026).toEqual([
        '01-01', '02-16', '02-17', '02-18', '03-02', '05-01', '05-05', '05-25', '06-03', '08-17', '09-24', '09-25',
        '10-05', '10-09', '12-25',
      ]);
      // 3/1, 5/24, 8/15, 9/26 and 10/3 are in the brief too and fall on weekends.
      for (const d of ['03-01', '05-24', '08-15', '09-26', '10-03']) expect(bankHoliday(`2026-${d}`)).toBeDefined();
    });

    it('has 2027 with its substitute holidays on weekdays', () => {
      expect(['2027-02-09', '2027-08-16', '2027-10-04', '2027-10-11', '2027-12-27'].map((d) => WEEKDAY[weekdayOf(d)]))
        .toEqual(['Tue', 'Mon', 'Mon', 'Mon', 'Mon']);
      expect(['2027-02-07', '2027-08-15', '2027-10-03', '2027-06-06'].map((d) => WEEKDAY[weekdayOf(d)])).toEqual(['Sun', 'Sun', 'Sun', 'Sun']);
      expect(['2027-02-06', '2027-05-01', '2027-10-09', '2027-12-25'].map((d) => WEEKDAY[weekdayOf(d)])).toEqual(['Sat', 'Sat', 'Sat', 'Sat']);
      // Labour Day and Memorial Day get no substitute day.
      expect(isBusinessDay('2027-05-03')).toBe(true);
      expect(isBusinessDay('2027-06-07')).toBe(true);
    });

    it('has no duplicate and nothing outside the covered years', () => {
      const dates = BANK_HOLIDAYS.map((h) => h.date);
      expect(new Set(dates).size).toBe(dates.length);
      expect(dates.every((d) => COVERED_YEARS.includes(Number(d.slice(0, 4))))).toBe(true);
      expect([...dates].sort()).toEqual(dates);
    });
  });

  describe('isBusinessDay', () => {
    it.each([
      ['2026-11-26', true, 'an ordinary Thursday'],
      ['2026-11-28', false, 'a Saturday'],
      ['2026-11-29', false, 'a Sunday'],
      ['2026-01-01', false, 'New Year'],
      ['2026-05-01', false, 'Labour Day (banks close)'],
      ['2026-06-03', false, 'local election day'],
      ['2026-10-05', false, 'substitute holiday for 10/3'],
      ['2026-12-24', true, 'Christmas Eve'],
      ['2027-01-01', false, 'New Year 2027'],
      ['2027-02-09', false, 'Seollal substitute holiday'],
      ['2027-02-10', true, 'the day after the Seollal substitute'],
      ['2027-05-13', false, "Buddha's Birthday 2027"],
      ['2027-09-14', false, 'Chuseok 2027'],
      ['2027-12-27', false, 'Christmas substitute holiday'],
    ])('given %s, then business day is %s (%s)', (date, expected) => {
      expect(isBusinessDay(date)).toBe(expected);
    });

    it('given a date outside the covered years, then it refuses clearly instead of guessing', () => {
      expect(() => isBusinessDay('2028-01-03')).toThrow(BusinessCalendarNotCovered);
      expect(() => isBusinessDay('2028-01-03')).toThrow(/covers 2026, 2027 only.*extend libs\/banking\/src\/holidays\.ts/);
      expect(() => isBusinessDay('2025-12-31')).toThrow(BusinessCalendarNotCovered);
    });

    it('given something that is not a calendar date, then it refuses', () => {
      expect(() => isBusinessDay('2026-02-30')).toThrow(/not a calendar date/);
      expect(() => isBusinessDay('26-1-1')).toThrow(/YYYY-MM-DD/);
    });
  });

  describe('nextBusinessDay', () => {
    it.each([
      ['2026-11-26', '2026-11-27', 'Thursday → Friday'],
      ['2026-11-27', '2026-11-30', 'Friday → Monday'],
      ['2026-10-02', '2026-10-06', 'Friday before 10/3 Sat, 10/4 Sun, 10/5 substitute → Tuesday'],
      ['2026-09-23', '2026-09-28', 'eve of Chuseok 9/24–26 → Monday'],
      ['2026-02-13', '2026-02-19', 'Friday before Seollal 2/16–18 → Thursday'],
      ['2026-12-31', '2027-01-04', 'New Year\'s Eve → Monday after New Year (1/1 Fri) and the weekend'],
      ['2027-02-05', '2027-02-10', 'Friday before Seollal 2/6–8 and its substitute 2/9 → Wednesday'],
      ['2027-08-13', '2027-08-17', 'Friday before 8/15 Sunday and substitute 8/16 → Tuesday'],
      ['2027-10-08', '2027-10-12', 'Friday before 10/9 Saturday and substitute 10/11 → Tuesday'],
      ['2027-12-24', '2027-12-28', 'Friday before Christmas Saturday and substitute 12/27 → Tuesday'],
      ['2026-11-28', '2026-11-30', 'Saturday → Monday'],
    ])('given %s, then %s (%s)', (date, expected) => {
      expect(nextBusinessDay(date)).toBe(expected);
    });

    it('given the last covered day, then it refuses rather than guess into 2028', () => {
      expect(() => nextBusinessDay('2027-12-31')).toThrow(BusinessCalendarNotCovered);
    });
  });
});
