export * from './auth';
export * from './features';
export * from './permissions';
export * from './roles';
export * from './tenants';
export * from './profile';
export * from './preferences';
