/**
 * The operators' read commands, for clients whose grant is an operator's (a 403 says so):
 * `pending` (cancellations not final) here, and what every one of them prints for an error
 * answer; `report --day` (a day's reconciliation) in its siblings daily-report-command.ts
 * and daily-report-csv.ts. Each prints a table for people, `--json` for scripts.
 */
import type { OpenCancellationView } from "#core/open-cancellations.ts";
import { type ApiAnswer, sendSigned } from "./api-client.ts";
import type { ClientConfig } from "./client-config.ts";
import { OPERATOR_RIGHTS_HINT } from "./grant-hints.ts";
import type { Io } from "./io.ts";
import { columnTable, jsonText, terminalSafe } from "./render.ts";
import { EXIT, type ExitCode, serviceErrorVerdict } from "./verdicts.ts";

/** An operator command's error answer; a 403 adds what an operator's grant is. */
export const operatorCommandFailed = (io: Io, answer: ApiAnswer, what: string): ExitCode => {
  const verdict = serviceErrorVerdict(answer);
  const body = answer.body as { error?: { message?: string; field?: string } } | undefined;
  // The service's message is text from outside, escaped to one line; the hint is ours, on a line of its own.
  const lines = [
    body?.error?.message ? terminalSafe(body.error.message) : "",
    verdict.outcome === "FORBIDDEN" ? OPERATOR_RIGHTS_HINT : "",
  ].filter(Boolean);
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
    io.out(`${text}${lines.length > 0 ? `\n\n${lines.map((line) => `  ${line}`).join("\n")}` : ""}`);
  }
  return verdict.exitCode;
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
    if (answer.status !== 200) return operatorCommandFailed(io, answer, "pending cancellations");
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
