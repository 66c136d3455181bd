/**
 * `cancelctl report --day`: a day's reconciliation, read from the audit log by the service,
 * printed as tables for people, `--json` for scripts or `--csv` for a spreadsheet
 * (daily-report-csv.ts). An operator's command: its siblings in operations-commands.ts.
 */
import type { DailyReport, ReportEntry } from "#core/daily-report.ts";
import { type ApiAnswer, sendSigned } from "./api-client.ts";
import type { ClientConfig } from "./client-config.ts";
import { reportCsv } from "./daily-report-csv.ts";
import type { Io } from "./io.ts";
import { operatorCommandFailed } from "./operations-commands.ts";
import { columnTable, jsonText, terminalSafe } from "./render.ts";
import { EXIT, type ExitCode } from "./verdicts.ts";

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

const targetText = (entry: ReportEntry): string => `${entry.target.type} ${entry.target.id}`;
const upstreamText = (entry: ReportEntry): string =>
  [entry.upstreamStatus, entry.upstreamCode].filter((part) => part !== undefined).join(" ");

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
    return operatorCommandFailed(
      { ...io, json: io.json || args.format === "json" },
      answer,
      `report of ${args.day}`,
    );
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
