import { invalid } from './errors';

/** Small, explicit request checks; every failure is 400 INVALID_REQUEST naming the field. */

export function body(raw: unknown): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid('body must be a JSON object');
  return raw as Record<string, unknown>;
}

export function str(b: Record<string, unknown>, field: string, pattern: RegExp, hint: string): string {
  const v = b[field];
  if (typeof v !== 'string' || !pattern.test(v)) throw invalid(`${field} must be ${hint}`);
  return v;
}

export function positiveInt(b: Record<string, unknown>, field: string): number {
  const v = b[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw invalid(`${field} must be a positive integer`);
  return v;
}

export function nonNegativeInt(b: Record<string, unknown>, field: string, max = Number.MAX_SAFE_INTEGER): number {
  const v = b[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) {
    throw invalid(`${field} must be an integer between 0 and ${max}`);
  }
  return v;
}

export function optional<T>(b: Record<string, unknown>, field: string, read: () => T): T | undefined {
  return b[field] === undefined || b[field] === null ? undefined : read();
}

export function bool(b: Record<string, unknown>, field: string): boolean {
  const v = b[field];
  if (typeof v !== 'boolean') throw invalid(`${field} must be a boolean`);
  return v;
}

export function isCalendarDate(y: number, m: number, d: number): boolean {
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

/** 'YYYY-MM-DD' that exists on the calendar. */
export function isoDate(b: Record<string, unknown>, field: string): string {
  const v = str(b, field, /^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');
  const [y, m, d] = v.split('-').map(Number);
  if (!isCalendarDate(y, m, d)) throw invalid(`${field} is not a calendar date`);
  return v;
}

/** 'YYYYMMDD' that exists on the calendar. */
export function compactDate(v: unknown, field: string): string {
  if (typeof v !== 'string' || !/^\d{8}$/.test(v)) throw invalid(`${field} must be a date YYYYMMDD`);
  if (!isCalendarDate(Number(v.slice(0, 4)), Number(v.slice(4, 6)), Number(v.slice(6, 8)))) {
    throw invalid(`${field} is not a calendar date`);
  }
  return v;
}

export const CI = /^[A-Za-z0-9_=.-]{1,200}$/;
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;
export const PHONE = /^\d{9,11}$/;
