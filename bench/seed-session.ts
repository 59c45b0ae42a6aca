import type { Database } from '../server/src/db/database';
import { DEMO_USERS } from '../server/src/identity/demo-directory';
import { createSession } from '../server/src/modules/sessions/sessions.store';
import type { SessionLifetime } from '../server/src/modules/sessions/sessions.lifetime';
import { seedDemoDirectory } from '../server/src/modules/tenants/demo-seed';
import { User } from '../server/src/modules/users/users.entity';

/** A migrated database with the demo directory and ada's session, as a sign-in leaves it; its token. */
export async function seedSession(db: Database, lifetime: SessionLifetime, now: Date): Promise<string> {
  await db.migrate();
  await seedDemoDirectory(db.orm.em.fork());
  const em = db.orm.em.fork();
  const ada = DEMO_USERS[0]!;
  const user = await em.findOneOrFail(User, { externalId: ada.oid });
  const { token } = createSession(em, { userId: user.id, tenantId: ada.tid, accessToken: 'bench', userAgent: 'bench', ipAddress: '127.0.0.1', lifetime, now });
  await em.flush();
  return token;
}
