import { z } from 'zod';

/**
 * zod's own messages in the words MREG's answers use ("role: must be one of admin, member, viewer"),
 * for every schema, on the server and in the app alike. A schema's own message wins over these;
 * `orRequired` gives such a message a distinct one for a missing value.
 */

/** zod's type names, as a person would say them. */
const TYPE_WORDS: Record<string, string> = { int: 'a whole number', object: 'an object', array: 'an array', undefined: 'absent' };
const article = (noun: string) => TYPE_WORDS[noun] ?? (/^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`);

z.config({
  // In a browser, zod's compiled fast path probes `new Function` when a schema is defined, which the
  // app's CSP (no unsafe-eval) reports as a violation. Set here, in the module every schema imports
  // first, so that no chunk of the app's build can define one before it (the server keeps the JIT).
  jitless: 'document' in globalThis,
  customError: (issue) => {
    if (issue.input === undefined) return 'is required';
    switch (issue.code) {
      case 'invalid_type':
        return `must be ${article(issue.expected)}`;
      case 'invalid_value':
        return `must be one of ${issue.values.map(String).join(', ')}`;
      case 'unrecognized_keys':
        return `${issue.keys.map((key) => JSON.stringify(key)).join(', ')} ${issue.keys.length === 1 ? 'is not a field' : 'are not fields'} here`;
      default:
        return undefined;
    }
  },
});

/** A schema's message for a wrong value, and "is required" for a missing one. */
export const orRequired = (message: string) => (issue: { input: unknown }) => (issue.input === undefined ? 'is required' : message);
