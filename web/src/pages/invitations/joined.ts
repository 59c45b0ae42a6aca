import { useEffect, useState } from 'react';
import { ZTenantContext, type TenantContext } from '@mreg/shared';

/**
 * What the invitation page tells the dashboard after an acceptance, through the history entry's
 * state (wouter's navigate `state`): the tenant just joined.
 */
const ZJoinedArrival = ZTenantContext.pick({ tenantId: true, tenantName: true, role: true });
export type Joined = Pick<TenantContext, 'tenantId' | 'tenantName' | 'role'>;

export const joinedState = (context: TenantContext) => ({ joined: { tenantId: context.tenantId, tenantName: context.tenantName, role: context.role } });

/**
 * The tenant just joined, once the dashboard shows it as the active one: the page first comes with
 * the last tenant (the session's new state is still on its way) and starts afresh with the new one.
 * Then taken away, so that a reload does not say it again.
 */
export function useJoined(activeTenantId: string | undefined): Joined | null {
  const [arrival] = useState(() => ZJoinedArrival.safeParse((window.history.state as { joined?: unknown } | null)?.joined));
  const joined = arrival.success && arrival.data.tenantId === activeTenantId ? arrival.data : null;
  useEffect(() => {
    if (joined) window.history.replaceState(null, '');
  }, [joined]);
  return joined;
}
