/**
 * The most calls one /trpc request may hold (a batch). The server refuses a larger batch with
 * BAD_REQUEST before running any of it; the clients' batch links never send one, splitting the
 * calls of a moment into several requests instead.
 */
export const TRPC_MAX_BATCH_SIZE = 10;
