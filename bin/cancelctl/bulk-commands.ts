/**
 * `cancelctl bulk …`: a bulk cancellation job as cancelctl shows it (its status line, its
 * error answers, its exit code at the end), and the commands that read or stop one:
 * `bulk status`, `bulk stop`. Its siblings: bulk-submit-command.ts (submit a file of items,
 * and with `--wait` follow the job to its end), bulk-results-command.ts (list or download
 * its per-item results), bulk-progress.ts (the progress bar). A job's items run in the
 * background at the budget's background pace; the job is the submitter's (another app id
 * is answered 404).
 */
import { type ApiAnswer, sendSigned } from "./api-client.ts";
import { durationText } from "./bulk-progress.ts";
import type { ClientConfig } from "./client-config.ts";
import type { Io } from "./io.ts";
import { flatten, jsonText, keyValueTable, terminalSafe } from "./render.ts";
import { EXIT, type ExitCode, serviceErrorVerdict } from "./verdicts.ts";

export const BULK_BASE_PATH = "/api/v1/bulk-cancellations";
const segment = encodeURIComponent;

export interface JobView {
  id: string;
  state: string;
  total: number;
  counts: Record<string, number>;
  progress: { done: number; pending: number; queued: number; total: number };
  estimatedSecondsLeft?: number;
}

export const isFinal = (state: string): boolean => state === "DONE" || state === "STOPPED";
export const countText = (n: number): string => n.toLocaleString("en-US");

/** `4,980 CANCELLED, 20 NOT_FOUND` */
const countsText = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .map(([outcome, n]) => `${countText(n)} ${outcome}`)
    .join(", ") || "no item final yet";

/** An error answer, with a submission's per-line issues when the service listed them. */
export const bulkCommandFailed = (io: Io, answer: ApiAnswer, what: string): ExitCode => {
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
      ? `  … and ${countText(i.more)} more`
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
  return `${job.state}  bulk cancellation ${job.id}: ${countText(done)} of ${countText(total)} done (${countsText(job.counts)}), ${countText(pending)} in flight, ${countText(queued)} queued${left}`;
};

export const printJob = (io: Io, answer: ApiAnswer): void => {
  const job = answer.body as JobView;
  if (io.json) io.out(jsonText(job));
  else io.out(`${terminalSafe(jobSummary(job))}\n\n${keyValueTable(flatten(job))}`);
};

/** A job's end for scripts: 0 when it ended with no FAILED item, 1 otherwise (a FAILED item may be submitted again). */
export const exitOfFinal = (job: JobView): ExitCode => ((job.counts.FAILED ?? 0) > 0 ? EXIT.failed : EXIT.ok);

export const bulkStatusCommand = async (
  io: Io,
  config: ClientConfig,
  args: { id: string },
): Promise<ExitCode> => {
  const answer = await sendSigned(config, { method: "GET", path: `${BULK_BASE_PATH}/${segment(args.id)}` });
  if (answer.status !== 200) return bulkCommandFailed(io, answer, `bulk status ${args.id}`);
  printJob(io, answer);
  return EXIT.ok;
};

export const bulkStopCommand = async (
  io: Io,
  config: ClientConfig,
  args: { id: string },
): Promise<ExitCode> => {
  const answer = await sendSigned(config, {
    method: "POST",
    path: `${BULK_BASE_PATH}/${segment(args.id)}/stop`,
  });
  if (answer.status !== 200 && answer.status !== 202)
    return bulkCommandFailed(io, answer, `bulk stop ${args.id}`);
  printJob(io, answer);
  return EXIT.ok;
};
