import { z } from 'zod';

// zod's compiled fast path probes `new Function` when a schema is defined, which the CSP (no
// unsafe-eval) reports as a violation. Imported first by main.tsx, before any schema exists.
z.config({ jitless: true });
