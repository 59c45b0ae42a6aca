export * from './features';
export * from './roles';
