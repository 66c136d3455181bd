/**
 * `cancelctl bulk results`: a bulk cancellation job's per-item results, as a table (read page
 * by page), `--json`, or the service's whole CSV report (`--csv`), optionally of one outcome.
 * Its siblings: bulk-commands.ts (the job as shown, status, stop), bulk-submit-command.ts.
 */
import { sendSigned } from "./api-client.ts";
import { BULK_BASE_PATH, bulkCommandFailed, countText } from "./bulk-commands.ts";
import type { ClientConfig } from "./client-config.ts";
import type { Io } from "./io.ts";
import { columnTable, jsonText, shellWord, terminalSafe } from "./render.ts";
import { EXIT, type ExitCode } from "./verdicts.ts";

const segment = encodeURIComponent;

interface ItemRow {
  line: number;
  target?: Record<string, string | Record<string, string>>;
  outcome: string;
  upstreamStatus?: number;
  upstreamCode?: string | number;
  reason?: string;
  finishedAt?: string;
}

const targetText = (target: ItemRow["target"]): string => {
  if (!target) return "";
  if (target.type === "intent") return `intent ${target.id}`;
  if (target.type === "charge") return `charge ${target.chargeUuid}`;
  return `order ${target.orderId}`;
};

const ITEMS_HEADER = ["LINE", "TARGET", "OUTCOME", "UPSTREAM", "REASON", "FINISHED"] as const;
const PAGE = 1000;

export const bulkResultsCommand = async (
  io: Io,
  config: ClientConfig,
  args: { id: string; csv: boolean; outcome?: string },
): Promise<ExitCode> => {
  const filter = args.outcome === undefined ? "" : `outcome=${segment(args.outcome)}`;
  if (args.csv) {
    const answer = await sendSigned(config, {
      method: "GET",
      path: `${BULK_BASE_PATH}/${segment(args.id)}/items${filter ? `?${filter}` : ""}`,
      accept: "text/csv",
      timeoutMs: 120_000,
    });
    if (answer.status !== 200 || typeof answer.body !== "string")
      return bulkCommandFailed(io, answer, `bulk results ${args.id}`);
    io.out(answer.body.replace(/\r\n$/, ""));
    return EXIT.ok;
  }
  const rows: ItemRow[] = [];
  let cursor: string | undefined;
  do {
    const query = [filter, `limit=${PAGE}`, cursor ? `cursor=${segment(cursor)}` : ""]
      .filter(Boolean)
      .join("&");
    const answer = await sendSigned(config, {
      method: "GET",
      path: `${BULK_BASE_PATH}/${segment(args.id)}/items?${query}`,
    });
    if (answer.status !== 200) return bulkCommandFailed(io, answer, `bulk results ${args.id}`);
    const page = answer.body as { items: ItemRow[]; cursor?: string };
    rows.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  if (io.json) {
    io.out(jsonText({ items: rows }));
    return EXIT.ok;
  }
  const what = `${countText(rows.length)} item${rows.length === 1 ? "" : "s"}${args.outcome ? ` ${args.outcome}` : ""} of bulk cancellation ${args.id}`;
  if (rows.length === 0) {
    io.out(`No ${terminalSafe(what.replace(/^0 items? /, "items "))}.`);
    return EXIT.ok;
  }
  const table = rows.map((row) => [
    String(row.line),
    targetText(row.target),
    row.outcome,
    [row.upstreamStatus, row.upstreamCode].filter((part) => part !== undefined).join(" "),
    row.reason ?? "",
    row.finishedAt ?? "",
  ]);
  io.out(`${terminalSafe(what)}\n\n${columnTable(ITEMS_HEADER, table)}`);
  io.out(`\nThe whole report: cancelctl bulk results ${shellWord(args.id)} --csv`);
  return EXIT.ok;
};
