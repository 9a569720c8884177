import 'reflect-metadata';
export { startSimulators } from './app';
export type { RunningSimulators, SimulatorsOptions } from './app';
export { seededPoints, seededBalance, seededLots, spendSoonestFirst, MIN_SEEDED_BALANCE, MAX_SEEDED_BALANCE, HANA_PROGRAM } from './seeding';
export type { Lot } from './seeding';
export { connectingInformation } from './carrier';
export { BANK_TRANSACTION_ID, RESPONSE as BANK_RESPONSE_CODES } from './bank';
