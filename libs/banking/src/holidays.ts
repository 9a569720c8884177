/**
 * Korean bank holidays (days the banks are closed besides Saturdays and Sundays), in Asia/Seoul calendar dates.
 *
 * THIS DATA IS THE SOURCE OF TRUTH for business days. Nothing computes lunar dates or substitute-holiday rules at
 * run time: every closed day is listed here, including substitute holidays (대체공휴일), election days and Labour
 * Day (5/1, banks close). It covers COVERED_YEARS only; `isBusinessDay` refuses any date outside them rather than
 * guess. Extend it (and COVERED_YEARS) before 2028 from the government's announced calendar
 * (관공서의 공휴일에 관한 규정, 인사혁신처 announcements) and the banks' own closing days.
 *
 * Holidays that fall on a Saturday or Sunday are listed too (for the record; they do not change the answer), with
 * their substitute day when the law gives one:
 * - Seollal and Chuseok: a substitute day when one of the three days is a Sunday or another holiday (not Saturday).
 * - 3/1, 5/5, Buddha's Birthday, 8/15, 10/3, 10/9, 12/25: a substitute day when on a Saturday or Sunday
 *   (5/5 also when on another holiday).
 * - New Year's Day, Memorial Day (6/6) and Labour Day (5/1): no substitute day.
 */
export interface BankHoliday {
  /** YYYY-MM-DD, Asia/Seoul. */
  date: string;
  name: string;
}

/** The years this file lists completely. */
export const COVERED_YEARS: readonly number[] = [2026, 2027];

export const BANK_HOLIDAYS: readonly BankHoliday[] = [
  // ---- 2026 ----
  { date: '2026-01-01', name: "New Year's Day (신정)" },
  { date: '2026-02-16', name: 'Seollal (설날 연휴)' },
  { date: '2026-02-17', name: 'Seollal (설날)' },
  { date: '2026-02-18', name: 'Seollal (설날 연휴)' },
  { date: '2026-03-01', name: 'Independence Movement Day (삼일절), Sunday' },
  { date: '2026-03-02', name: 'Substitute holiday for Independence Movement Day (대체공휴일)' },
  { date: '2026-05-01', name: 'Labour Day (근로자의 날; banks close)' },
  { date: '2026-05-05', name: "Children's Day (어린이날)" },
  { date: '2026-05-24', name: "Buddha's Birthday (부처님오신날), Sunday" },
  { date: '2026-05-25', name: "Substitute holiday for Buddha's Birthday (대체공휴일)" },
  { date: '2026-06-03', name: 'Local elections (전국동시지방선거)' },
  { date: '2026-06-06', name: 'Memorial Day (현충일), Saturday; no substitute' },
  { date: '2026-08-15', name: 'Liberation Day (광복절), Saturday' },
  { date: '2026-08-17', name: 'Substitute holiday for Liberation Day (대체공휴일)' },
  { date: '2026-09-24', name: 'Chuseok (추석 연휴)' },
  { date: '2026-09-25', name: 'Chuseok (추석)' },
  { date: '2026-09-26', name: 'Chuseok (추석 연휴), Saturday; no substitute' },
  { date: '2026-10-03', name: 'National Foundation Day (개천절), Saturday' },
  { date: '2026-10-05', name: 'Substitute holiday for National Foundation Day (대체공휴일)' },
  { date: '2026-10-09', name: 'Hangul Day (한글날)' },
  { date: '2026-12-25', name: 'Christmas (성탄절)' },

  // ---- 2027 ---- (Seollal: lunar 1/1 = 2027-02-07; Buddha's Birthday: lunar 4/8 = 2027-05-13;
  //                 Chuseok: lunar 8/15 = 2027-09-15; no national election is scheduled in 2027)
  { date: '2027-01-01', name: "New Year's Day (신정)" },
  { date: '2027-02-06', name: 'Seollal (설날 연휴), Saturday' },
  { date: '2027-02-07', name: 'Seollal (설날), Sunday' },
  { date: '2027-02-08', name: 'Seollal (설날 연휴)' },
  { date: '2027-02-09', name: 'Substitute holiday for Seollal (대체공휴일; Seollal on a Sunday)' },
  { date: '2027-03-01', name: 'Independence Movement Day (삼일절)' },
  { date: '2027-05-01', name: 'Labour Day (근로자의 날), Saturday; no substitute' },
  { date: '2027-05-05', name: "Children's Day (어린이날)" },
  { date: '2027-05-13', name: "Buddha's Birthday (부처님오신날)" },
  { date: '2027-06-06', name: 'Memorial Day (현충일), Sunday; no substitute' },
  { date: '2027-08-15', name: 'Liberation Day (광복절), Sunday' },
  { date: '2027-08-16', name: 'Substitute holiday for Liberation Day (대체공휴일)' },
  { date: '2027-09-14', name: 'Chuseok (추석 연휴)' },
  { date: '2027-09-15', name: 'Chuseok (추석)' },
  { date: '2027-09-16', name: 'Chuseok (추석 연휴)' },
  { date: '2027-10-03', name: 'National Foundation Day (개천절), Sunday' },
  { date: '2027-10-04', name: 'Substitute holiday for National Foundation Day (대체공휴일)' },
  { date: '2027-10-09', name: 'Hangul Day (한글날), Saturday' },
  { date: '2027-10-11', name: 'Substitute holiday for Hangul Day (대체공휴일)' },
  { date: '2027-12-25', name: 'Christmas (성탄절), Saturday' },
  { date: '2027-12-27', name: 'Substitute holiday for Christmas (대체공휴일)' },
];
