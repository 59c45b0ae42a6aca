import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { Tenant } from '../modules/tenants/tenants.entity';
import { UserTenantMembership } from '../modules/tenants/memberships.entity';
import { User, UserProfile } from '../modules/users/users.entity';
import { EnhancedSession } from '../modules/sessions/sessions.entity';
import { UserPreference } from '../modules/preferences/preferences.entity';
import { migrationsList } from './migrations';

export const entities = [Tenant, User, UserProfile, EnhancedSession, UserPreference, UserTenantMembership];

export interface OrmOptions {
  clientUrl: string;
  /** Embedded PGlite serves one connection at a time (STACK.md). */
  embedded: boolean;
  /** Receives MikroORM's own log lines (queries only when debugging). */
  log?: (message: string) => void;
}

export function ormConfig({ clientUrl, embedded, log }: OrmOptions): Options {
  return {
    clientUrl,
    entities,
    extensions: [Migrator],
    // A missing database is a configuration error to report, not something to create silently.
    ensureDatabase: false,
    allowGlobalContext: false,
    discovery: { warnWhenNoEntities: false },
    pool: embedded
      ? { min: 0, max: 1, acquireTimeoutMillis: 5000 }
      : { min: 0, max: 10, acquireTimeoutMillis: 5000 },
    driverOptions: { connection: { connectionTimeoutMillis: 3000 } },
    migrations: {
      migrationsList,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
    debug: false,
    logger: log ?? (() => {}),
    colors: false,
  };
}

export function initOrm(options: OrmOptions): Promise<MikroORM> {
  return MikroORM.init(ormConfig(options));
}
