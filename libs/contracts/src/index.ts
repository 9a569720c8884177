import 'reflect-metadata';
export * from './envelope';
export * from './catalogue';
export * from './topics';
export * from './messages';
export * from './errors';
