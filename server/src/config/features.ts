import type { Features } from '@mreg/shared';

/** The fields of `config.features` that a switch turns on and off: its booleans but a fact of sign-in. */
type Switchable = Exclude<{ [K in keyof Features]: Features[K] extends boolean ? K : never }[keyof Features], 'devSignInOpen'>;

interface SwitchDeclaration {
  /** How a refusal names the feature. */
  words: string;
  /** The variable that switches it, named by the refusal. */
  variable: `MREG_${string}`;
  /** Switches it needs on besides its own. */
  needs: readonly Switchable[];
}

/**
 * Every feature that can be switched off, declared once. Enhanced authentication is the switch
 * above the others: off, it leaves sign-in, sign-out and `auth.user` only.
 */
export const FEATURE_SWITCHES = {
  enhancedAuth: { words: 'Enhanced authentication', variable: 'MREG_FASTMCP_ENHANCED_AUTH_ENABLED', needs: [] },
  userProfiles: { words: 'Profile and preference editing', variable: 'MREG_FASTMCP_USER_PROFILES_ENABLED', needs: ['enhancedAuth'] },
  sessionManagement: { words: 'Session management', variable: 'MREG_FASTMCP_SESSION_MANAGEMENT_ENHANCED', needs: ['enhancedAuth'] },
  avatarStorage: { words: 'Avatar storage', variable: 'MREG_FASTMCP_AVATAR_STORAGE_ENABLED', needs: ['enhancedAuth', 'userProfiles'] },
  tenantSwitching: { words: 'Tenant switching', variable: 'MREG_FASTMCP_TENANT_SWITCHING_ENABLED', needs: ['enhancedAuth'] },
  tenantContextCaching: { words: 'Tenant context caching', variable: 'MREG_FASTMCP_TENANT_CONTEXT_CACHING', needs: ['enhancedAuth'] },
  roleBasedUi: { words: 'Role-based UI', variable: 'MREG_FASTMCP_ROLE_BASED_UI_ENABLED', needs: ['enhancedAuth'] },
} as const satisfies Record<Switchable, SwitchDeclaration>;

export type FeatureSwitch = keyof typeof FEATURE_SWITCHES;
/** The variables of the switches: the schema checks that each is one of its booleans. */
export type FeatureVariable = (typeof FEATURE_SWITCHES)[FeatureSwitch]['variable'];

/** The features as computed once at boot, for `config.features` and for every check of a switch. */
export interface FeatureSet {
  /** What `config.features` reports. */
  offered: Features;
  /**
   * Why a procedure of a switched-off feature refuses, or null when the feature is on. The message
   * names the variable that switched it off: its own, or a prerequisite's.
   */
  off: Record<FeatureSwitch, string | null>;
}

export function featureSet(
  switchedOn: (variable: FeatureVariable) => boolean,
  others: Omit<Features, FeatureSwitch>,
): FeatureSet {
  const names = Object.keys(FEATURE_SWITCHES) as FeatureSwitch[];
  const refusal = (feature: FeatureSwitch) => {
    const { words, needs } = FEATURE_SWITCHES[feature];
    const cause = [...needs, feature].find((name) => !switchedOn(FEATURE_SWITCHES[name].variable));
    return cause ? `${words} is switched off on this server (${FEATURE_SWITCHES[cause].variable}=false)` : null;
  };
  const off = Object.fromEntries(names.map((name) => [name, refusal(name)])) as FeatureSet['off'];
  const on = Object.fromEntries(names.map((name) => [name, off[name] === null])) as Record<FeatureSwitch, boolean>;
  return { offered: { ...on, ...others }, off };
}
