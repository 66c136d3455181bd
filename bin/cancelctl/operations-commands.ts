/**
 * The operators' read commands: `report --day` (a day's reconciliation) and `pending`
 * (cancellations not final), for clients whose grant is an operator's; a 403 says so. Each prints a table for people, `--json` for scripts, and
 * `report` also `--csv` for a spreadsheet.
 */
import type { DailyReport, ReportEntry } from "#core/daily-report.ts";
import type { OpenCancellationView } from "#core/open-cancellations.ts";
import { type ApiAnswer, sendSigned } from "./api-client.ts";
import type { ClientConfig } from "./client-config.ts";
import { OPERATOR_RIGHTS_HINT } from "./grant-hints.ts";
import type { Io } from "./io.ts";
import { columnTable, jsonText, terminalSafe } from "./render.ts";
import { EXIT, type ExitCode, serviceErrorVerdict } from "./verdicts.ts";

/** Shows how long a request has been waiting (a terminal only), until `stop`. */
const waitingLine = (io: Io, what: string) => {
  const started = Date.now();
  if (!io.errIsTty) {
    io.err(`${what}…\n`);
    return { stop: () => {} };
  }
  const draw = () => io.err(`\r\x1b[2K${what}… ${Math.round((Date.now() - started) / 1000)} s`);
  draw();
  const timer = setInterval(draw, 1000);
  return {
    stop: () => {
      clearInterval(timer);
      io.err("\r\x1b[2K");
    },
  };
};

const failed = (io: Io, answer: ApiAnswer, what: string): ExitCode => {
  const verdict = serviceErrorVerdict(answer);
  const body = answer.body as { error?: { message?: string; field?: string } } | undefined;
  const refused = verdict.outcome === "FORBIDDEN" ? `\n  ${OPERATOR_RIGHTS_HINT}` : "";
  const message = `${body?.error?.message ?? ""}${refused}`;
  if (io.json) {
    io.out(
      jsonText({
        outcome: verdict.outcome,
        exitCode: verdict.exitCode,
        httpStatus: answer.status,
        body: answer.body,
      }),
    );
  } else {
    const text = terminalSafe(`${verdict.outcome}  ${what}`);
    io.out(`${text}${message ? `\n\n  ${terminalSafe(message)}` : ""}`);
  }
  return verdict.exitCode;
};

const targetText = (entry: ReportEntry): string => `${entry.target.type} ${entry.target.id}`;
const upstreamText = (entry: ReportEntry): string =>
  [entry.upstreamStatus, entry.upstreamCode].filter((part) => part !== undefined).join(" ");

/**
 * RFC 4180: quote a field when it holds a comma, a quote or a line break. Control characters
 * are escaped first (render.ts), so the CSV is safe to print to a terminal too.
 */
const csvField = (value: unknown): string => {
  const text = terminalSafe(value === undefined || value === null ? "" : String(value));
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

export const REPORT_CSV_HEADER = [
  "section",
  "target_type",
  "target_id",
  "wallet_uuid",
  "order_id",
  "trigger",
  "outcome",
  "state",
  "at",
  "upstream_status",
  "upstream_code",
  "problem",
  "correlation_id",
  "targets",
] as const;

/** The report as one CSV table: a `section` column tells totals, refunds, failures and not-final rows apart. */
export const reportCsv = (report: DailyReport): string => {
  const rows: unknown[][] = [[...REPORT_CSV_HEADER]];
  for (const total of report.totals) {
    rows.push([
      "total",
      total.targetType,
      "",
      "",
      "",
      total.trigger,
      total.outcome,
      "",
      report.day,
      "",
      "",
      "",
      "",
      total.targets,
    ]);
  }
  const entries = (section: string, list: readonly ReportEntry[]) => {
    for (const e of list) {
      rows.push([
        section,
        e.target.type,
        e.target.id,
        "walletUuid" in e.target ? e.target.walletUuid : "",
        e.orderId,
        e.trigger,
        e.outcome,
        e.state,
        e.at,
        e.upstreamStatus,
        e.upstreamCode,
        e.problem,
        e.correlationId,
        "",
      ]);
    }
  };
  entries("refund-required", report.refundsRequired);
  entries("failure", report.failures);
  entries("not-final", report.notFinal);
  return rows.map((row) => row.map(csvField).join(",")).join("\r\n");
};

const entryTable = (
  title: string,
  entries: readonly ReportEntry[],
  extra: "order" | "problem" | "state",
): string => {
  if (entries.length === 0) return `${title}: none`;
  const header = [
    "AT",
    "TARGET",
    extra === "order" ? "ORDER" : extra === "problem" ? "PROBLEM" : "STATE",
    "UPSTREAM",
    "CORRELATION ID",
  ];
  const rows = entries.map((e) => [
    e.at,
    targetText(e),
    extra === "order"
      ? (e.orderId ?? "")
      : extra === "problem"
        ? (e.problem ?? (e.retryable === false ? "refused for good" : ""))
        : (e.state ?? e.outcome),
    upstreamText(e),
    e.correlationId,
  ]);
  return `${title} (${entries.length})\n\n${columnTable(header, rows, 64)}`;
};

export const reportCommand = async (
  io: Io,
  config: ClientConfig,
  args: { day: string; format: "table" | "json" | "csv" },
): Promise<ExitCode> => {
  const waiting = waitingLine(io, `reading the audit log of ${args.day}`);
  let answer: ApiAnswer;
  try {
    answer = await sendSigned(config, {
      method: "GET",
      path: `/api/v1/reports/daily/${encodeURIComponent(args.day)}`,
      timeoutMs: 60_000,
    });
  } finally {
    waiting.stop();
  }
  if (answer.status !== 200)
    return failed({ ...io, json: io.json || args.format === "json" }, answer, `report of ${args.day}`);
  const report = answer.body as DailyReport;
  if (args.format === "json") {
    io.out(jsonText(report));
    return EXIT.ok;
  }
  if (args.format === "csv") {
    io.out(reportCsv(report));
    return EXIT.ok;
  }
  const head = `REPORT  ${terminalSafe(String(report.day))} (UTC): ${report.records} audit record${report.records === 1 ? "" : "s"}, ${report.targets} target${report.targets === 1 ? "" : "s"}, each counted by its latest record of the day`;
  if (report.records === 0) {
    io.out(`${head}\n\nNothing was recorded that day.`);
    return EXIT.ok;
  }
  const totals = columnTable(
    ["TARGET TYPE", "TRIGGER", "OUTCOME", "TARGETS"],
    report.totals.map((t) => [t.targetType, t.trigger, t.outcome, String(t.targets)]),
  );
  io.out(
    [
      head,
      totals,
      entryTable("Refunds required", report.refundsRequired, "order"),
      entryTable("Failures", report.failures, "problem"),
      entryTable("Not final", report.notFinal, "state"),
    ].join("\n\n"),
  );
  return EXIT.ok;
};

/** `95 s` → `1m 35s`; `93784 s` → `1d 2h`. */
export const ageText = (seconds: number): string => {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${seconds % 60}s`;
  return `${seconds}s`;
};

const PAGE = 100;

export const pendingCommand = async (
  io: Io,
  config: ClientConfig,
  args: { stuck: boolean },
): Promise<ExitCode> => {
  const items: OpenCancellationView[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const query = new URLSearchParams({ state: args.stuck ? "stuck" : "open", limit: String(PAGE) });
    if (cursor !== undefined) query.set("cursor", cursor);
    const answer = await sendSigned(config, {
      method: "GET",
      path: `/api/v1/cancellations?${query.toString()}`,
    });
    if (answer.status !== 200) return failed(io, answer, "pending cancellations");
    const page = answer.body as { items: OpenCancellationView[]; cursor?: string };
    items.push(...page.items);
    cursor = page.cursor;
    pages += 1;
    if (cursor !== undefined && pages % 5 === 0)
      io.err(`read ${items.length} cancellations (${pages} pages)…\n`);
  } while (cursor !== undefined);

  // The route answers in the continuation's order (next check first); people want the oldest first.
  items.sort((a, b) => a.requestedAt.localeCompare(b.requestedAt) || a.id.localeCompare(b.id));
  if (io.json) {
    io.out(jsonText({ items }));
    return EXIT.ok;
  }
  const what = args.stuck ? "STUCK" : "not final";
  if (items.length === 0) {
    io.out(args.stuck ? "No cancellation is STUCK." : "Every cancellation is final: none is open.");
    return EXIT.ok;
  }
  const rows = items.map((c) => [
    ageText(c.ageSeconds),
    c.state === "STUCK" && c.stuckIn ? `STUCK (in ${c.stuckIn})` : c.state,
    `${c.kind} ${c.id}`,
    c.requestedAt,
    c.nextCheckAt ?? "",
    String(c.checks),
    c.lastProblem ? `${c.lastProblem.problem}: ${c.lastProblem.reason}` : "",
    c.correlationId,
  ]);
  io.out(
    `${items.length} cancellation${items.length === 1 ? "" : "s"} ${what}, oldest first\n\n${columnTable(
      ["AGE", "STATE", "CANCELLATION", "REQUESTED", "NEXT CHECK", "CHECKS", "LAST PROBLEM", "CORRELATION ID"],
      rows,
    )}`,
  );
  return EXIT.ok;
};
