/**
 * How many worker processes the servers of the tests run: `KTS_TEST_WORKERS` (default 1, the
 * single-process server; 2 or more: a primary and that many worker processes, as
 * `--workers N` runs them). `npm test` runs the server and CLI suites both ways.
 */
export const TEST_WORKERS = Math.max(1, Number(process.env.KTS_TEST_WORKERS ?? '1') || 1);

/** The flags that make a server CLI run with {@link TEST_WORKERS} (none for one). */
export const SERVER_WORKER_ARGS: readonly string[] = TEST_WORKERS > 1 ? ['--workers', String(TEST_WORKERS)] : [];
