/**
 * The daily report (`cancelctl report --day … --csv`) as one CSV table for a spreadsheet.
 * Its siblings: daily-report-command.ts (the command, and the report as tables for people),
 * operations-commands.ts (the other operator commands).
 */
import type { DailyReport, ReportEntry } from "#core/daily-report.ts";
import { terminalSafe } from "./render.ts";

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
