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
  /** 10 for a PostgreSQL server; 1 for embedded PGlite, which serves one connection (STACK.md). */
  poolMax: number;
  /** Receives MikroORM's own log lines (queries only when debugging). */
  log?: (message: string) => void;
}

export function ormConfig({ clientUrl, poolMax, log }: OrmOptions): Options {
  return {
    clientUrl,
    entities,
    extensions: [Migrator],
    // A missing database is a configuration error to report, not something to create silently.
    ensureDatabase: false,
    allowGlobalContext: false,
    discovery: { warnWhenNoEntities: false },
    pool: { min: 0, max: poolMax, acquireTimeoutMillis: 5000 },
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
