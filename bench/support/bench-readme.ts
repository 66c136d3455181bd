/**
 * The results section of bench/README.md, written by `npm run bench` from bench/results.json
 * (every suite's latest run, each with its own command, time and machine). The section sits
 * between two marker lines; the rest of the page is written by hand and left as it is.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { Machine } from "./machine.ts";
import type { Metric, SuiteEntry, SuiteOutcome, SummaryTable } from "./suite.ts";

export interface SuiteRecord {
  title: string;
  startedAt: string;
  durationMs: number;
  command: string;
  machine: Machine;
  ok: boolean;
  error?: string;
  log?: string;
  metrics: SuiteOutcome["metrics"];
  summary?: SummaryTable;
  notes: string[];
  details: Record<string, unknown>;
}

export interface ResultsFile {
  timestamp: string;
  command: string;
  machine: Machine;
  suites: Record<string, SuiteRecord>;
}

export const RESULTS_BEGIN =
  "<!-- results: begin (written by npm run bench from bench/results.json; edits here are lost) -->";
export const RESULTS_END = "<!-- results: end -->";

const cell = (text: string): string => text.replaceAll("|", "\\|").replaceAll("\n", " ");

const formatValue = (metric: Metric): string =>
  `${typeof metric.value === "number" ? metric.value.toLocaleString("en-US", { maximumFractionDigits: 3 }) : metric.value}${metric.unit ? ` ${metric.unit}` : ""}`;

const verdict = (metric: Metric): string => (metric.met === undefined ? "" : metric.met ? "✔" : "✘ missed");

const summaryTable = ({ headers, rows }: SummaryTable): string[] => [
  `| ${headers.map(cell).join(" | ")} |`,
  `|${headers.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`,
  ...rows.map((row) => `| ${row.map(cell).join(" | ")} |`),
];

/** `2026-11-30 15:18 UTC` */
const minuteOf = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

const suiteSection = (entry: SuiteEntry, record: SuiteRecord | undefined): string[] => {
  if (!record)
    return [`### ${entry.title}`, "", `Not run yet: \`npm run bench -- --only ${entry.name}\`.`, ""];
  const { machine } = record;
  const missed = record.metrics.filter((metric) => metric.met === false).length;
  return [
    `### ${record.title}`,
    "",
    `\`${record.command}\`, ${minuteOf(record.startedAt)}, ${(record.durationMs / 1000).toFixed(0)} s; ` +
      `node ${machine.node}, ${machine.cpu}, ${machine.cores} cores, load average ${machine.loadAverage.join(" / ")} at its start` +
      `${record.ok ? "" : `; **the suite failed**: ${cell(record.error?.split("\n")[0] ?? "")}`}` +
      `${missed > 0 ? `; ${missed} target${missed === 1 ? "" : "s"} missed` : ""}.`,
    "",
    ...(entry.goal ? [`Goal: ${entry.goal}.`, ""] : []),
    ...(record.summary ? [...summaryTable(record.summary), ""] : []),
    "| what | figure | target | |",
    "|---|---:|---|---|",
    ...record.metrics.map(
      (metric) =>
        `| ${cell(metric.name.trim())} | ${cell(formatValue(metric))} | ${cell(metric.target ?? "")} | ${verdict(metric)} |`,
    ),
    ...(record.notes.length > 0 ? ["", ...record.notes.map((note) => `- ${cell(note)}`)] : []),
    "",
  ];
};

/** The section between the markers, suites in the order they run. */
export const renderResultsSection = (results: ResultsFile, suites: readonly SuiteEntry[]): string =>
  [
    RESULTS_BEGIN,
    "",
    "## Results",
    "",
    `Each suite as it last ran (bench/results.json, last written ${minuteOf(results.timestamp)} by \`${results.command}\`).`,
    "The machine is shared: compare ratios within one suite's run, not figures across runs.",
    "",
    ...suites.flatMap((entry) => suiteSection(entry, results.suites[entry.name])),
    RESULTS_END,
  ].join("\n");

/** The page with its results section replaced. */
export const withResultsSection = (page: string, section: string): string => {
  const begin = page.indexOf(RESULTS_BEGIN);
  const end = page.indexOf(RESULTS_END);
  if (begin < 0 || end < begin) {
    throw new Error(
      `bench/README.md has no results section: the lines "${RESULTS_BEGIN}" and "${RESULTS_END}"`,
    );
  }
  return `${page.slice(0, begin)}${section}${page.slice(end + RESULTS_END.length)}`;
};

/** Rewrites the results section of the page at `readmePath` from `resultsPath`. */
export const writeBenchReadme = (
  readmePath: string,
  resultsPath: string,
  suites: readonly SuiteEntry[],
): void => {
  const results = JSON.parse(readFileSync(resultsPath, "utf8")) as ResultsFile;
  const page = readFileSync(readmePath, "utf8");
  writeFileSync(readmePath, withResultsSection(page, renderResultsSection(results, suites)));
};
