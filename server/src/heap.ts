// Imported first by main.ts, so that it runs before the rest loads.
import { setFlagsFromString } from 'node:v8';

/**
 * V8 lets the old generation grow to four or five times what survives a full collection before it
 * collects again; for MREG (about 40 MB live under load) that meant an RSS peak of about 300 MB
 * under the benchmark's load, mostly garbage. Growing by at most 100% between collections keeps the
 * peak near 210 MB for some 5% more CPU per request (bench/, issue 15's notes). Node refuses the
 * flag in NODE_OPTIONS; set here, it applies from the next collection on.
 */
setFlagsFromString('--heap-growing-percent=100');
