import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type pg from 'pg';
import type { Logger } from 'pino';
import { Tenant } from '../modules/tenants/tenants.entity';
import { UserTenantMembership } from '../modules/tenants/memberships.entity';
import { User, UserProfile } from '../modules/users/users.entity';
import { EnhancedSession, SignInRequest } from '../modules/sessions/sessions.entity';
import { UserPreference } from '../modules/preferences/preferences.entity';
import { UserAvatar } from '../modules/profiles/avatars.entity';
import { McpServer, McpServerCatalogue, McpServerHealth } from '../modules/registry/registry.entity';
import { ApiKeyEntity } from '../modules/apikeys/apikeys.entity';
import { migrationsList } from './migrations';

const entities = [
  Tenant,
  User,
  UserProfile,
  EnhancedSession,
  SignInRequest,
  UserPreference,
  UserTenantMembership,
  UserAvatar,
  McpServer,
  McpServerCatalogue,
  McpServerHealth,
  ApiKeyEntity,
];

export interface OrmOptions {
  clientUrl: string;
  poolMax: number;
  /**
   * Longest a statement may run on the server (statement_timeout) and, a second later, go unanswered
   * on the client (pg's query_timeout: a database that takes the connection but never answers).
   */
  statementTimeoutMs: number;
  /** Receives MikroORM's and knex's own log lines, which would otherwise go to the console. */
  logger: Logger;
}

function ormConfig({ clientUrl, poolMax, statementTimeoutMs, logger }: OrmOptions): Options {
  return {
    clientUrl,
    entities,
    extensions: [Migrator],
    // A missing database is a configuration error to report, not something to create silently.
    ensureDatabase: false,
    allowGlobalContext: false,
    discovery: { warnWhenNoEntities: false },
    pool: {
      min: 0,
      max: poolMax,
      acquireTimeoutMillis: 5000,
      // Limits set on each new connection with SET rather than as startup parameters, which a
      // PgBouncer in front of the database would refuse. A transaction left open (a crashed
      // request) must not hold its locks for long either.
      afterCreate: (connection: pg.Client, done: (error: Error | undefined, connection: pg.Client) => void) => {
        const idleInTransactionMs = Math.max(statementTimeoutMs * 2, 10_000);
        connection.query(`set statement_timeout = ${statementTimeoutMs}; set idle_in_transaction_session_timeout = ${idleInTransactionMs}`).then(
          () => done(undefined, connection),
          (error: Error) => done(error, connection),
        );
      },
    },
    driverOptions: {
      // A database that takes the connection but does not answer (hung, or packets dropped) is
      // given up on in 1.5 s, so the request answers 503 within 2 s instead of waiting; knex
      // passes the connect failure to the waiting acquire at once (propagateCreateError).
      connection: { connectionTimeoutMillis: 1500, query_timeout: statementTimeoutMs + 1000 },
      log: {
        warn: (message: unknown) => logger.warn({ component: 'knex' }, String(message)),
        error: (message: unknown) => logger.error({ component: 'knex' }, String(message)),
        debug: (message: unknown) => logger.debug({ component: 'knex' }, String(message)),
        deprecate: (method: string, alternative: string) =>
          logger.debug({ component: 'knex' }, `${method} is deprecated; use ${alternative}`),
      },
    },
    migrations: {
      migrationsList,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
    debug: false,
    logger: (message) => logger.debug({ component: 'orm' }, message),
    colors: false,
  };
}

export function initOrm(options: OrmOptions): Promise<MikroORM> {
  return MikroORM.init(ormConfig(options));
}
