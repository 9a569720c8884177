/** The card companies and their cashable programs (see the brief's table). Rates are exact fractions. */
export const ISSUERS = ['SHINHAN', 'KB', 'SAMSUNG', 'HYUNDAI', 'LOTTE', 'WOORI', 'HANA', 'BC', 'NH', 'CITI', 'POST'] as const;
export type IssuerCode = (typeof ISSUERS)[number];

export interface ProgramDefinition {
  program: string;
  issuer: IssuerCode;
  name: string;
  /** won = floor(points * wonPer / pointsPer) on a multiple of pointsPer; never a fraction of a won. */
  rate: { points: number; won: number };
  /** HH:MM in Asia/Seoul after which payouts go to the next business day; null = always next business day. */
  cutoffKst: string | null;
}

export const PROGRAMS: readonly ProgramDefinition[] = [
  { program: 'SHINHAN_MYSHINHAN', issuer: 'SHINHAN', name: '마이신한포인트', rate: { points: 1, won: 1 }, cutoffKst: '20:00' },
  { program: 'KB_POINTREE', issuer: 'KB', name: '포인트리', rate: { points: 1, won: 1 }, cutoffKst: '20:00' },
  { program: 'SAMSUNG_BONUS', issuer: 'SAMSUNG', name: '보너스포인트', rate: { points: 1, won: 1 }, cutoffKst: null },
  { program: 'HYUNDAI_M', issuer: 'HYUNDAI', name: 'M포인트', rate: { points: 3, won: 2 }, cutoffKst: '23:00' },
  { program: 'LOTTE_LPOINT', issuer: 'LOTTE', name: 'L.POINT', rate: { points: 1, won: 1 }, cutoffKst: '22:30' },
  { program: 'WOORI_WIBEE', issuer: 'WOORI', name: '위비꿀머니', rate: { points: 1, won: 1 }, cutoffKst: '20:00' },
  { program: 'WOORI_MOA', issuer: 'WOORI', name: '모아포인트', rate: { points: 1, won: 1 }, cutoffKst: '20:00' },
  { program: 'HANA_MONEY', issuer: 'HANA', name: '하나머니', rate: { points: 1, won: 1 }, cutoffKst: '20:00' },
  { program: 'BC_TOP', issuer: 'BC', name: 'TOP포인트', rate: { points: 1, won: 1 }, cutoffKst: '20:00' },
  { program: 'NH_POINT', issuer: 'NH', name: 'NH포인트', rate: { points: 1, won: 1 }, cutoffKst: '20:00' },
  { program: 'CITI_POINT', issuer: 'CITI', name: '씨티포인트', rate: { points: 1, won: 1 }, cutoffKst: null },
  { program: 'POST_POINT', issuer: 'POST', name: '우체국포인트', rate: { points: 1, won: 1 }, cutoffKst: null },
];

export const PROGRAM_CODES = PROGRAMS.map((p) => p.program);

export function programDefinition(program: string): ProgramDefinition | undefined {
  return PROGRAMS.find((p) => p.program === program);
}
