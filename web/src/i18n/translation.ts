/**
 * The shape every language's namespace must have: the same keys as the English one, each a string.
 * German files declare `satisfies Translation<typeof en>`, so a missing or extra key fails typecheck.
 */
export type Translation<T> = { [K in keyof T]: T[K] extends string ? string : Translation<T[K]> };
