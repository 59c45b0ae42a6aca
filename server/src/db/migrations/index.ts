import { Migration20261127000001_base } from './Migration20261127000001_base';
import { Migration20261127000002_enhanced_auth } from './Migration20261127000002_enhanced_auth';
import { Migration20261127000003_sign_in } from './Migration20261127000003_sign_in';
import { Migration20261127000004_tenants } from './Migration20261127000004_tenants';
import { Migration20261127000005_avatars } from './Migration20261127000005_avatars';
import { Migration20261204000006_registry } from './Migration20261204000006_registry';
import { Migration20261205000007_api_keys } from './Migration20261205000007_api_keys';
import { Migration20261206000008_oauth } from './Migration20261206000008_oauth';
import { Migration20261206000009_invitations } from './Migration20261206000009_invitations';
import { Migration20261206000010_audit } from './Migration20261206000010_audit';
import { Migration20261207000011_scheduled_runs } from './Migration20261207000011_scheduled_runs';

/** Every migration, in order. Listed explicitly so the bundled server needs no file discovery. */
export const migrationsList = [
  { name: 'Migration20261127000001_base', class: Migration20261127000001_base },
  { name: 'Migration20261127000002_enhanced_auth', class: Migration20261127000002_enhanced_auth },
  { name: 'Migration20261127000003_sign_in', class: Migration20261127000003_sign_in },
  { name: 'Migration20261127000004_tenants', class: Migration20261127000004_tenants },
  { name: 'Migration20261127000005_avatars', class: Migration20261127000005_avatars },
  { name: 'Migration20261204000006_registry', class: Migration20261204000006_registry },
  { name: 'Migration20261205000007_api_keys', class: Migration20261205000007_api_keys },
  { name: 'Migration20261206000008_oauth', class: Migration20261206000008_oauth },
  { name: 'Migration20261206000009_invitations', class: Migration20261206000009_invitations },
  { name: 'Migration20261206000010_audit', class: Migration20261206000010_audit },
  { name: 'Migration20261207000011_scheduled_runs', class: Migration20261207000011_scheduled_runs },
];
