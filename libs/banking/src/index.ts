export * from './holidays';
export * from './calendar';
export * from './payout-timing';
export * from './maintenance';
export { kstAt, kstDateOf, kstMsOfDay } from './kst';
