import { z } from 'zod';

export const PREFERENCES_STORAGE_MODES = ['database', 'redis', 'both'] as const;
export const ZPreferencesStorage = z.enum(PREFERENCES_STORAGE_MODES);
export type PreferencesStorage = z.infer<typeof ZPreferencesStorage>;

/** Where people sign in: Microsoft Entra ID, or the app's own development provider. */
export const ZSignInProvider = z.enum(['entra-id', 'development']);
export type SignInProvider = z.infer<typeof ZSignInProvider>;

/** Output of `config.features`: what the server has switched on, for the SPA and for tools. */
export const ZFeatures = z.object({
  enhancedAuth: z.boolean(),
  userProfiles: z.boolean(),
  sessionManagement: z.boolean(),
  avatarStorage: z.boolean(),
  tenantSwitching: z.boolean(),
  tenantContextCaching: z.boolean(),
  roleBasedUi: z.boolean(),
  preferencesStorage: ZPreferencesStorage,
  signIn: ZSignInProvider,
  /**
   * The development provider is served beyond loopback because MREG_DEV_SIGN_IN=true: anyone who
   * reaches this server can sign in as any demo user. The app says so on every page.
   */
  devSignInOpen: z.boolean(),
});
export type Features = z.infer<typeof ZFeatures>;

/** The input of a procedure that takes none: nothing, or the null or {} that plain HTTP clients send. */
export const ZNoInput = z.union([z.void(), z.null(), z.strictObject({})]).transform(() => undefined);
