/**
 * `cancelctl bulk …`: submit a file of items as one bulk cancellation job (and, with
 * `--wait`, follow it to its end), read its status, list or download its per-item results,
 * stop it. A job's items run in the background at the budget's background pace; the job
 * is the submitter's (another app id is answered 404).
 */
import { readFileSync } from "node:fs";
import { type ApiAnswer, sendSigned } from "./api-client.ts";
import { durationText, type ProgressSample, progressDisplay } from "./bulk-progress.ts";
import type { ClientConfig } from "./client-config.ts";
import type { Io } from "./io.ts";
import { columnTable, flatten, jsonText, keyValueTable, shellWord, terminalSafe } from "./render.ts";
import { EXIT, type ExitCode, serviceErrorVerdict } from "./verdicts.ts";

const BASE = "/api/v1/bulk-cancellations";
const segment = encodeURIComponent;

/** The file of a submission could not be read. */
export class BulkFileError extends Error {
  override readonly name = "BulkFileError";
}

export interface JobView {
  id: string;
  state: string;
  total: number;
  counts: Record<string, number>;
  progress: { done: number; pending: number; queued: number; total: number };
  estimatedSecondsLeft?: number;
}

const isFinal = (state: string): boolean => state === "DONE" || state === "STOPPED";
const count = (n: number): string => n.toLocaleString("en-US");

/** `4,980 CANCELLED, 20 NOT_FOUND` */
const countsText = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .map(([outcome, n]) => `${count(n)} ${outcome}`)
    .join(", ") || "no item final yet";

/** An error answer, with a submission's per-line issues when the service listed them. */
const failed = (io: Io, answer: ApiAnswer, what: string): ExitCode => {
  const verdict = serviceErrorVerdict(answer);
  if (io.json) {
    io.out(
      jsonText({
        outcome: verdict.outcome,
        exitCode: verdict.exitCode,
        httpStatus: answer.status,
        body: answer.body,
      }),
    );
    return verdict.exitCode;
  }
  const error = (answer.body as { error?: { message?: string; issues?: unknown[] } } | null)?.error;
  const issues = (error?.issues ?? []).map((issue) => {
    const i = issue as { line?: number; field?: string; why?: string; more?: number };
    return i.more !== undefined
      ? `  … and ${count(i.more)} more`
      : `  line ${i.line}: ${i.field ?? ""} ${i.why ?? ""}`;
  });
  io.out(
    [
      terminalSafe(`${verdict.outcome}  ${what}`),
      error?.message ? `\n  ${terminalSafe(error.message)}` : "",
      ...issues.map(terminalSafe),
    ]
      .filter(Boolean)
      .join("\n"),
  );
  return verdict.exitCode;
};

/** The status line: state, counts, and the service's estimate in the progress bar's words. */
export const jobSummary = (job: JobView): string => {
  const { done, pending, queued, total } = job.progress;
  const left =
    job.estimatedSecondsLeft === undefined ? "" : `, about ${durationText(job.estimatedSecondsLeft)} left`;
  return `${job.state}  bulk cancellation ${job.id}: ${count(done)} of ${count(total)} done (${countsText(job.counts)}), ${count(pending)} in flight, ${count(queued)} queued${left}`;
};

const printJob = (io: Io, answer: ApiAnswer): void => {
  const job = answer.body as JobView;
  if (io.json) io.out(jsonText(job));
  else io.out(`${terminalSafe(jobSummary(job))}\n\n${keyValueTable(flatten(job))}`);
};

/** A job's end for scripts: 0 when it ended with no FAILED item, 1 otherwise (a FAILED item may be submitted again). */
const exitOfFinal = (job: JobView): ExitCode => ((job.counts.FAILED ?? 0) > 0 ? EXIT.failed : EXIT.ok);

const readSubmission = (file: string): { contentType: string; text: string } => {
  try {
    const text = readFileSync(file, "utf8");
    return { contentType: file.toLowerCase().endsWith(".json") ? "application/json" : "text/csv", text };
  } catch (error) {
    throw new BulkFileError(`Cannot read ${file}: ${(error as Error).message}`);
  }
};

export const bulkSubmitCommand = async (
  io: Io,
  config: ClientConfig,
  args: {
    file: string;
    reason?: string;
    skipInvalid: boolean;
    wait: boolean;
    idempotencyKey: string;
    pollMs?: number;
  },
): Promise<ExitCode> => {
  const rawBody = readSubmission(args.file);
  const query = new URLSearchParams();
  // A CSV gives its reason in the query; a JSON file carries its own (the service refuses both).
  if (args.reason !== undefined && rawBody.contentType === "text/csv") query.set("reason", args.reason);
  if (args.reason !== undefined && rawBody.contentType !== "text/csv") {
    throw new BulkFileError('A JSON file gives its reason in its body ("reason"), not with --reason.');
  }
  if (args.skipInvalid) query.set("skipInvalid", "true");
  const answer = await sendSigned(config, {
    method: "POST",
    path: `${BASE}${query.size > 0 ? `?${query.toString().replaceAll("+", "%20")}` : ""}`,
    rawBody,
    idempotencyKey: args.idempotencyKey,
    timeoutMs: 60_000,
  });
  if (answer.status !== 202) return failed(io, answer, `bulk submit ${args.file}`);
  const job = answer.body as JobView;
  if (!args.wait) {
    if (io.json) io.out(jsonText({ idempotencyKey: args.idempotencyKey, job }));
    else {
      io.out(
        `${terminalSafe(jobSummary(job))}\n\n${keyValueTable([...flatten(job), ["idempotency key", args.idempotencyKey]])}`,
      );
      io.out(`\nFollow it: cancelctl bulk status ${job.id}   (or submit with --wait)`);
    }
    return EXIT.ok;
  }
  io.err(
    `bulk cancellation ${job.id} submitted (${count(job.total)} lines); waiting for it to end (Ctrl-C stops waiting, not the job)\n`,
  );
  return waitForJob(io, config, job.id, args.pollMs ?? 1_000);
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls the job until it is DONE or STOPPED, drawing its progress; then prints it. */
const waitForJob = async (io: Io, config: ClientConfig, jobId: string, pollMs: number): Promise<ExitCode> => {
  const display = progressDisplay(io);
  for (;;) {
    const answer = await sendSigned(config, { method: "GET", path: `${BASE}/${segment(jobId)}` });
    if (answer.status !== 200) {
      display.end();
      return failed(io, answer, `bulk status ${jobId}`);
    }
    const job = answer.body as JobView;
    const sample: ProgressSample = {
      at: Date.now(),
      done: job.progress.done,
      total: job.progress.total,
      state: job.state,
      ...(job.estimatedSecondsLeft !== undefined && { estimatedSecondsLeft: job.estimatedSecondsLeft }),
    };
    display.show(sample);
    if (isFinal(job.state)) {
      display.end();
      printJob(io, answer);
      return exitOfFinal(job);
    }
    await sleep(pollMs);
  }
};

export const bulkStatusCommand = async (
  io: Io,
  config: ClientConfig,
  args: { id: string },
): Promise<ExitCode> => {
  const answer = await sendSigned(config, { method: "GET", path: `${BASE}/${segment(args.id)}` });
  if (answer.status !== 200) return failed(io, answer, `bulk status ${args.id}`);
  printJob(io, answer);
  return EXIT.ok;
};

export const bulkStopCommand = async (
  io: Io,
  config: ClientConfig,
  args: { id: string },
): Promise<ExitCode> => {
  const answer = await sendSigned(config, { method: "POST", path: `${BASE}/${segment(args.id)}/stop` });
  if (answer.status !== 200 && answer.status !== 202) return failed(io, answer, `bulk stop ${args.id}`);
  printJob(io, answer);
  return EXIT.ok;
};

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
      path: `${BASE}/${segment(args.id)}/items${filter ? `?${filter}` : ""}`,
      accept: "text/csv",
      timeoutMs: 120_000,
    });
    if (answer.status !== 200 || typeof answer.body !== "string")
      return failed(io, answer, `bulk results ${args.id}`);
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
      path: `${BASE}/${segment(args.id)}/items?${query}`,
    });
    if (answer.status !== 200) return failed(io, answer, `bulk results ${args.id}`);
    const page = answer.body as { items: ItemRow[]; cursor?: string };
    rows.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  if (io.json) {
    io.out(jsonText({ items: rows }));
    return EXIT.ok;
  }
  const what = `${count(rows.length)} item${rows.length === 1 ? "" : "s"}${args.outcome ? ` ${args.outcome}` : ""} of bulk cancellation ${args.id}`;
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
