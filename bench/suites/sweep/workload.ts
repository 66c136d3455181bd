/**
 * Suite 4's workload: how many intents each of its three steps sweeps, at what concurrency,
 * against what upstream latency and rate limit (the suite itself: ../sweep.ts). Its
 * siblings: measured-sweep.ts runs one sweep and measures it, throughput-chart.ts draws
 * bench/sweep-throughput.svg, figures.ts turns what was measured into metrics, notes and
 * details.
 */

/** The latency the Procure-Core sandbox adds to every answer. */
export const LATENCY_MS = 20;
export const MAIN_INTENTS = 10_000;
export const WARMUP_INTENTS = 2_000;
export const MAIN_CONCURRENCY = 16;
/** Cancels per second if each took only the upstream's latency. */
export const THEORETICAL = MAIN_CONCURRENCY / (LATENCY_MS / 1000);
export const RATIO_TARGET = 0.85;
export const LEVELS = [1, 4, 8, 16, 32] as const;
export const RATE_LIMIT = 300;
export const BUDGET_PER_MINUTE = RATE_LIMIT;
/** A budget above what the unlimited runs need (~8,000 a minute at most), kept in memory (no DynamoDB round trip). */
export const UNLIMITED = 10_000;
/** Above one window's 300 requests, so the run crosses a window boundary (about a minute). */
export const LIMITED_INTENTS = 500;

/** Intents per concurrency level: 50 per slot, 100 to 800 (a few seconds each on this machine). */
export const intentsFor = (concurrency: number): number => Math.max(100, Math.min(800, concurrency * 50));
export const PROFILED_INTENTS = 800;
