/**
 * The one-row summary each reliability case prints when it ends (a markdown table, so
 * docs/reliability.md can quote it). Every case fills the same columns; what a column counts for
 * a case is said in its `notes`.
 */
import type { ReliabilityProfile } from "./profile.ts";

export interface SummaryRow {
  case: string;
  /** Requests and events handed to the handlers (redeliveries included). */
  requests: number;
  /** Requests the service sent upstream (client side). */
  upstream: number;
  /** Upstream state changes (sandbox effect counters). */
  effects: number;
  /** Upstream retries within invocations plus platform redeliveries. */
  retries: number;
  deadLetters: number;
  durationMs: number;
  notes: string;
}

const HEADER = [
  "case",
  "profile",
  "seed",
  "requests",
  "upstream",
  "effects",
  "retries",
  "dead letters",
  "time",
];

/** Prints the table with one row per case (a file usually has one). */
export const printSummary = (
  profile: ReliabilityProfile,
  seed: number,
  rows: readonly SummaryRow[],
): void => {
  const lines = [
    `| ${HEADER.join(" | ")} | notes |`,
    `|${HEADER.map(() => "---").join("|")}|---|`,
    ...rows.map(
      (row) =>
        `| ${row.case} | ${profile.name} | ${seed} | ${row.requests} | ${row.upstream} | ${row.effects} | ` +
        `${row.retries} | ${row.deadLetters} | ${(row.durationMs / 1000).toFixed(1)} s | ${row.notes} |`,
    ),
  ];
  console.log(`\nreliability summary (${profile.name})\n${lines.join("\n")}\n`);
};

/** The lines (JSON logs) whose `message` is `message`. */
export const countLogMessages = (lines: readonly string[], message: string): number => {
  let count = 0;
  const needle = `"message":${JSON.stringify(message)}`;
  for (const line of lines) if (line.includes(needle)) count += 1;
  return count;
};
