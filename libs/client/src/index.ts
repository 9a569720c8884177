export * from './client';
export * from './demo';
export * from './resolved-cash-outs';
