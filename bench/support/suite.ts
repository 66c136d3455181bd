/**
 * What a benchmark suite is and what it hands back. Each suite runs in a process of its
 * own (`suite-process.ts`), so its module state, JIT and heap never colour another's
 * figures; `bench/run.ts` collects the outcomes, prints the table and writes
 * `bench/results.json`.
 */

/** One line of the printed table. */
export interface Metric {
  /** What was measured, e.g. `handler cancel p99`. */
  name: string;
  value: number | string;
  /** `ms`, `µs`, `KiB`, `/s`… */
  unit?: string;
  /** The target in words, e.g. `≤ 250 µs`. Absent for figures without one. */
  target?: string;
  /** Whether the target was met; absent without a target. */
  met?: boolean;
}

/** A table of ratios, each beside what it is a ratio to (the README shows it above the metrics). */
export interface SummaryTable {
  headers: string[];
  rows: string[][];
}

export interface SuiteOutcome {
  metrics: Metric[];
  summary?: SummaryTable;
  /** Raw figures for results.json (samples summarised, per-round values, profiles). */
  details: Record<string, unknown>;
  /** What limits a missed target, with the evidence; printed under the table. */
  notes?: string[];
}

export interface SuiteContext {
  /** A progress line for the person watching (printed by the runner, not part of the results). */
  progress(message: string): void;
}

/** What each file under bench/suites/ exports as `run`. */
export type SuiteRun = (context: SuiteContext) => Promise<SuiteOutcome>;

/** A suite as the runner knows it, without loading its code. */
export interface SuiteEntry {
  /** Also the file name under bench/suites/ and the value of `--only`. */
  name: string;
  title: string;
  /** What the suite's goals are, in one line (bench/README.md prints it under the title). */
  goal?: string;
  /** The runner kills the suite's process after this long. */
  timeoutMs: number;
}

/** The suites, in the order they run. */
export const SUITES: readonly SuiteEntry[] = [
  { name: "cancel-path", title: "1. cancel path: handler vs direct upstream call", timeoutMs: 150_000 },
  {
    name: "cpu-per-cancel",
    title: "2. CPU per cancel (in-memory ports), beside the anchor commit",
    goal: "each variant ≤ 150 µs of CPU per cancel; the ratios to the anchor commit say what grew since",
    timeoutMs: 360_000,
  },
  {
    name: "cold-start",
    title: "3. cold start: module init as a ratio to the SDK clients alone",
    goal: "every function's module init ≤ 1.3 × that of a bundle of only the AWS SDK clients its first request needs",
    // Counting instructions under callgrind (COLD_START_INSTRUCTIONS=1) adds ~40 processes of ~10 s.
    timeoutMs: process.env.COLD_START_INSTRUCTIONS === "1" ? 1_200_000 : 360_000,
  },
  { name: "sweep", title: "4. expiry sweep", timeoutMs: 480_000 },
  { name: "http-load", title: "5. local HTTP load (autocannon)", timeoutMs: 150_000 },
  { name: "daily-report", title: "6. daily report of 10,000 audit records", timeoutMs: 300_000 },
  {
    name: "upstream-budget",
    title: "7. shared upstream budget: cost per take, contention, 429 when spent",
    timeoutMs: 240_000,
  },
  {
    name: "capacity",
    title: "8. DynamoDB writes per cancel, item sizes (docs/capacity.md)",
    timeoutMs: 300_000,
  },
  {
    name: "bulk-submit",
    title: "9. bulk cancellation: submit of 10,000 items",
    timeoutMs: 300_000,
  },
];

/** Messages from a suite's process to the runner. */
export type SuiteMessage =
  | { type: "progress"; message: string }
  | { type: "outcome"; outcome: SuiteOutcome }
  | { type: "failure"; error: string };

/** A metric with a target: `met` is computed from `value` and the bound. */
export const atMost = (name: string, value: number, bound: number, unit: string, digits = 1): Metric => ({
  name,
  value: round(value, digits),
  unit,
  target: `≤ ${bound} ${unit}`.trim(),
  met: value <= bound,
});

export const atLeast = (name: string, value: number, bound: number, unit: string, digits = 2): Metric => ({
  name,
  value: round(value, digits),
  unit,
  target: `≥ ${bound} ${unit}`.trim(),
  met: value >= bound,
});

export const exactly = (name: string, value: number, expected: number, unit = ""): Metric => ({
  name,
  value,
  unit,
  target: `= ${expected} ${unit}`.trim(),
  met: value === expected,
});

/** A figure reported without a target. */
export const figure = (name: string, value: number | string, unit = "", digits = 1): Metric => ({
  name,
  value: typeof value === "number" ? round(value, digits) : value,
  unit,
});

export const round = (value: number, digits: number): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};
