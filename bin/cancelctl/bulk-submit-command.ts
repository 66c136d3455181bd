/**
 * `cancelctl bulk submit`: a file of items (CSV, or JSON with its own reason) submitted as one
 * bulk cancellation job, and with `--wait` the job followed to its end, its progress drawn
 * (bulk-progress.ts). Its siblings: bulk-commands.ts (the job as shown, status, stop),
 * bulk-results-command.ts (its per-item results).
 */
import { readFileSync } from "node:fs";
import { sendSigned } from "./api-client.ts";
import {
  BULK_BASE_PATH,
  bulkCommandFailed,
  countText,
  exitOfFinal,
  isFinal,
  type JobView,
  jobSummary,
  printJob,
} from "./bulk-commands.ts";
import { type ProgressSample, progressDisplay } from "./bulk-progress.ts";
import type { ClientConfig } from "./client-config.ts";
import type { Io } from "./io.ts";
import { flatten, jsonText, keyValueTable, terminalSafe } from "./render.ts";
import { EXIT, type ExitCode } from "./verdicts.ts";

const segment = encodeURIComponent;

/** The file of a submission could not be read. */
export class BulkFileError extends Error {
  override readonly name = "BulkFileError";
}

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
    path: `${BULK_BASE_PATH}${query.size > 0 ? `?${query.toString().replaceAll("+", "%20")}` : ""}`,
    rawBody,
    idempotencyKey: args.idempotencyKey,
    timeoutMs: 60_000,
  });
  if (answer.status !== 202) return bulkCommandFailed(io, answer, `bulk submit ${args.file}`);
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
    `bulk cancellation ${job.id} submitted (${countText(job.total)} lines); waiting for it to end (Ctrl-C stops waiting, not the job)\n`,
  );
  return waitForJob(io, config, job.id, args.pollMs ?? 1_000);
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls the job until it is DONE or STOPPED, drawing its progress; then prints it. */
const waitForJob = async (io: Io, config: ClientConfig, jobId: string, pollMs: number): Promise<ExitCode> => {
  const display = progressDisplay(io);
  for (;;) {
    const answer = await sendSigned(config, { method: "GET", path: `${BULK_BASE_PATH}/${segment(jobId)}` });
    if (answer.status !== 200) {
      display.end();
      return bulkCommandFailed(io, answer, `bulk status ${jobId}`);
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
