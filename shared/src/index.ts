// First: the messages every schema below uses.
export * from './messages';
export * from './api';
export * from './auth';
export * from './errors';
export * from './features';
export * from './permissions';
export * from './roles';
export * from './tenants';
export * from './text';
export * from './profile';
export * from './preferences';
export * from './registry';
export * from './apikeys';
export * from './gateway';
export * from './oauth';
export * from './invitations';
export * from './audit';
