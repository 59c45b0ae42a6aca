import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { flushSync } from 'react-dom';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  AuthUser,
  CategoryPreferences,
  Features,
  Permission,
  PreferencesByCategory,
  Profile,
  SessionInfo,
  TenantContext,
  UpdateProfileInput,
  UserInfo,
} from '@mreg/shared';
import { isUnauthorized, useTRPC } from '../trpc';
import { removeAvatar, signOut, uploadAvatar } from './http';
import { currentLocation, forgetSignedIn, isPublicPath, loginHref, rememberSignedIn, sendToSignIn, signInPagePath } from './navigation';
import { decisionTime, planSession, sessionEnd, WARNING_LEAD_MS } from './session-timing';
import { onUnauthorized } from './unauthorized';

/** The enhanced-authentication plan's surface (Phase 4), on the typed tRPC hooks. */
export interface EnhancedAuth {
  isAuthenticated: boolean;
  /** True until the server has said whether there is a session. */
  isLoading: boolean;
  /** A failure other than "not signed in" (the server unreachable, say), with a way to try again. */
  error: Error | null;
  retry: () => void;
  user: UserInfo | null;
  userProfile: Profile | null;
  preferences: PreferencesByCategory | null;
  tenantContext: TenantContext | null;
  permissions: Permission[];
  sessionInfo: SessionInfo | null;
  /** What the server has switched on; null until known. */
  features: Features | null;
  /**
   * Set a minute before a sign-out: `lifetime` when nothing can prevent it (the absolute lifetime),
   * `idle` when a request would (nobody has used the page for a while).
   */
  expiryWarning: { endsAt: number; reason: 'lifetime' | 'idle' } | null;
  login: (returnTo?: string) => void;
  /** Signs out; with `returnTo`, the sign-in page then leads back there (a link meant for someone else, say). */
  logout: (returnTo?: string) => Promise<void>;
  updateProfile: (changes: UpdateProfileInput) => Promise<Profile>;
  uploadAvatar: (file: Blob) => Promise<Profile>;
  removeAvatar: () => Promise<Profile>;
  updatePreferences: (category: string, preferences: Record<string, unknown>) => Promise<CategoryPreferences>;
  switchTenant: (tenantId: string) => Promise<TenantContext>;
  /** After the server moved the session to another tenant in some other way (an accepted invitation): drop the last one's data and ask again. */
  tenantChanged: () => Promise<void>;
  refreshSession: () => Promise<SessionInfo>;
  can: (permission: Permission) => boolean;
}

const EnhancedAuthContext = createContext<EnhancedAuth | undefined>(undefined);

export function useEnhancedAuth(): EnhancedAuth {
  const context = useContext(EnhancedAuthContext);
  if (context === undefined) throw new Error('useEnhancedAuth must be used within an EnhancedAuthProvider');
  return context;
}

// setTimeout fires at once for delays past 2^31 - 1 ms (about 24.8 days).
const MAX_DELAY = 2 ** 31 - 1;

/**
 * Holds who is signed in (`auth.user`) and the actions on it. The session itself is only the
 * HttpOnly cookie: nothing here is stored in the page. A 401 from any call sends the person to the
 * sign-in page, which brings them back afterwards; while the app is open the session is renewed
 * before it ends, and a minute's warning comes before an end nothing can move.
 */
export function EnhancedAuthProvider({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // Stable references throughout: the session timer below must re-arm only when the session changes.
  const userKey = useMemo(() => trpc.auth.user.queryKey(), [trpc]);
  const me = useQuery(trpc.auth.user.queryOptions());
  const features = useQuery(trpc.config.features.queryOptions(undefined, { staleTime: Infinity }));
  const data = me.data ?? null;

  // When a 401 said the session is gone: what was known about the person before it is void.
  const [endedAt, setEndedAt] = useState<number | null>(null);
  useEffect(
    () =>
      onUnauthorized(() => {
        // Never signed in, a 401 is simply what "signed out" looks like: a page that needs a session
        // goes to sign-in by itself (RequireAuth), any other stays. Signed in, the session has ended.
        const key = trpc.auth.user.queryKey();
        if (isPublicPath(window.location.pathname) || queryClient.getQueryData(key) === undefined) return;
        // One render for both: the sign-in page must not see the person still signed in (it would
        // send them straight back), nor the page here see them signed out (it would go to sign-in
        // on its own, without saying why).
        flushSync(() => {
          setEndedAt(Date.now());
          sendToSignIn('ended');
        });
        void queryClient.resetQueries({ queryKey: key });
      }),
    [queryClient, trpc],
  );

  const patchUser = useCallback(
    (change: (current: AuthUser) => AuthUser) => queryClient.setQueryData(userKey, (current) => (current ? change(current) : current)),
    [queryClient, userKey],
  );

  // mutateAsync is stable across renders; the object useMutation returns is not.
  const saveProfile = useMutation(trpc.auth.updateProfile.mutationOptions()).mutateAsync;
  const savePreferences = useMutation(trpc.auth.updatePreferences.mutationOptions()).mutateAsync;
  const changeTenant = useMutation(trpc.auth.switchTenant.mutationOptions()).mutateAsync;
  const renewSession = useMutation(trpc.auth.refreshSession.mutationOptions()).mutateAsync;

  const withProfile = useCallback(
    async (action: () => Promise<Profile>) => {
      const profile = await action();
      patchUser((current) => ({ ...current, profile }));
      return profile;
    },
    [patchUser],
  );

  // Applied at once (a theme must not wait for the network), put back if the server refuses. Of
  // quick successive writes to one category only the latest one's answer is shown: an earlier,
  // slower answer must not overwrite a later choice.
  const preferenceWrites = useRef(new Map<string, number>());
  const updatePreferences = useCallback(
    async (category: string, changes: Record<string, unknown>) => {
      const write = (preferenceWrites.current.get(category) ?? 0) + 1;
      preferenceWrites.current.set(category, write);
      const latest = () => preferenceWrites.current.get(category) === write;
      const before = queryClient.getQueryData(userKey)?.preferences[category];
      const put = (values: Record<string, unknown> | undefined) =>
        patchUser((current) => {
          const preferences = { ...current.preferences };
          if (values === undefined) delete preferences[category];
          else preferences[category] = values;
          return { ...current, preferences };
        });
      put({ ...before, ...changes });
      try {
        const saved = await savePreferences({ category, preferences: changes });
        if (latest()) put(saved);
        return saved;
      } catch (error) {
        if (latest()) put(before);
        // A later write may hold this one's keys as if saved: the server's state settles it.
        else void queryClient.invalidateQueries({ queryKey: userKey });
        throw error;
      }
    },
    [queryClient, userKey, patchUser, savePreferences],
  );

  const tenantChanged = useCallback(async () => {
    // Another tenant's members, roles and menus: nothing of the last tenant may stay on screen.
    // Its audit log and usage neither (a refetch would show them until it answers, under the new name).
    queryClient.removeQueries(trpc.tenants.pathFilter());
    queryClient.removeQueries(trpc.audit.pathFilter());
    await queryClient.invalidateQueries();
  }, [queryClient, trpc]);
  const switchTenant = useCallback(
    async (tenantId: string) => {
      const context = await changeTenant({ tenantId });
      await tenantChanged();
      return context;
    },
    [changeTenant, tenantChanged],
  );

  // One renewal at a time: the banner's button and the timer may ask together.
  const renewal = useRef<Promise<SessionInfo> | null>(null);
  const [renewable, setRenewable] = useState(true);
  const refreshSession = useCallback(() => {
    renewal.current ??= (async () => {
      try {
        const before = queryClient.getQueryData(userKey)?.sessionInfo;
        const sessionInfo = await renewSession();
        patchUser((current) => ({ ...current, sessionInfo }));
        setRenewable(before === undefined || sessionEnd(sessionInfo) > sessionEnd(before));
        return sessionInfo;
      } finally {
        renewal.current = null;
      }
    })();
    return renewal.current;
  }, [queryClient, userKey, renewSession, patchUser]);

  // The person's last use of the page: an idle session is only kept alive for someone present.
  const lastInteraction = useRef(0);
  useEffect(() => {
    lastInteraction.current = Date.now();
    const seen = () => (lastInteraction.current = Date.now());
    const events = ['pointerdown', 'keydown', 'scroll'] as const;
    for (const event of events) window.addEventListener(event, seen, { passive: true });
    return () => {
      for (const event of events) window.removeEventListener(event, seen);
    };
  }, []);

  // A warning belongs to the session state it was made for: renewed, it no longer applies.
  const [warning, setWarning] = useState<{ for: SessionInfo; endsAt: number; reason: 'lifetime' | 'idle' } | null>(null);
  const sessionInfo = data?.sessionInfo ?? null;
  const expiryWarning = useMemo(
    () => (warning && warning.for === sessionInfo ? { endsAt: warning.endsAt, reason: warning.reason } : null),
    [warning, sessionInfo],
  );
  useEffect(() => {
    if (!sessionInfo) return;
    const timers: ReturnType<typeof setTimeout>[] = [];
    // A time beyond setTimeout's reach is approached in steps, never acted on early.
    const at = (time: number, run: () => void) => {
      const delay = Math.max(0, time - Date.now());
      timers.push(delay > MAX_DELAY ? setTimeout(() => at(time, run), MAX_DELAY) : setTimeout(run, delay));
    };
    at(decisionTime(sessionInfo, Date.now()), () => {
      const plan = planSession(sessionInfo, Date.now(), lastInteraction.current, renewable);
      if (plan.kind === 'refresh') {
        // A failure is not retried here: the next call shows it (a 401 leads to sign-in, anything
        // else to a banner), and the warning below still comes a minute before the end.
        refreshSession().catch(() => undefined);
        at(plan.endsAt - WARNING_LEAD_MS, () => setWarning({ for: sessionInfo, endsAt: plan.endsAt, reason: 'idle' }));
        return;
      }
      at(plan.at, () => setWarning({ for: sessionInfo, endsAt: plan.endsAt, reason: plan.reason }));
      // Past the end the server says 401, which leads to the sign-in page and back.
      at(plan.endsAt + 1_000, () => void queryClient.invalidateQueries({ queryKey: userKey }));
    });
    return () => timers.forEach(clearTimeout);
  }, [sessionInfo, renewable, refreshSession, queryClient, userKey]);

  const login = useCallback((returnTo = currentLocation()) => window.location.assign(loginHref(returnTo)), []);
  const logout = useCallback(
    async (returnTo?: string) => {
      const endSessionUrl = await signOut();
      forgetSignedIn();
      queryClient.clear();
      window.location.assign(endSessionUrl ?? (returnTo ? signInPagePath(returnTo, 'signed-out') : '/sign-in?reason=signed-out'));
    },
    [queryClient],
  );

  const signedOut = (me.isError && isUnauthorized(me.error)) || (endedAt !== null && me.dataUpdatedAt <= endedAt);
  useEffect(() => {
    if (data !== null && !signedOut) rememberSignedIn();
  }, [data, signedOut]);
  // At run time a TRPCClientError, which is an Error; its declared type is only the error's shape.
  const failure = ((me.isError && !signedOut ? me.error : null) ?? (features.isError ? features.error : null)) as Error | null;

  const value = useMemo<EnhancedAuth>(
    () => ({
      isAuthenticated: data !== null && !signedOut,
      isLoading: me.isPending,
      error: failure,
      retry: () => {
        void me.refetch();
        void features.refetch();
      },
      user: data?.user ?? null,
      userProfile: data?.profile ?? null,
      preferences: data?.preferences ?? null,
      tenantContext: data?.tenantContext ?? null,
      permissions: data?.permissions ?? [],
      sessionInfo,
      features: features.data ?? null,
      expiryWarning,
      login,
      logout,
      updateProfile: (changes) => withProfile(() => saveProfile(changes)),
      uploadAvatar: (file) => withProfile(() => uploadAvatar(file)),
      removeAvatar: () => withProfile(removeAvatar),
      updatePreferences,
      switchTenant,
      tenantChanged,
      refreshSession,
      can: (permission) => (data?.permissions ?? []).includes(permission),
    }),
    [data, signedOut, me, failure, features, sessionInfo, expiryWarning, login, logout, saveProfile, withProfile, updatePreferences, switchTenant, tenantChanged, refreshSession],
  );

  return <EnhancedAuthContext.Provider value={value}>{children}</EnhancedAuthContext.Provider>;
}
