import { z } from 'zod';

/** A person's role in a tenant (the permission catalogue that maps roles to permissions builds on it). */
export const ROLES = ['admin', 'member', 'viewer'] as const;
export const ZRole = z.enum(ROLES);
export type Role = z.infer<typeof ZRole>;
