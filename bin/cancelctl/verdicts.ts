/**
 * What an answer means for the person or script that ran cancelctl, as an outcome name
 * and an exit code:
 *
 * | exit | meaning |
 * |---|---|
 * | 0  | done: cancelled, already cancelled, pending (accepted, finishing asynchronously), listed; an order's cancellation still being finished |
 * | 2  | rejected: not cancellable, not found, forbidden, refund required — retrying will not help |
 * | 1  | failed: transport error, 5xx, refused credentials, idempotency conflict — may be retried or fixed; an order's cancellation STUCK |
 * | 64 | bad usage (sysexits EX_USAGE) |
 */
import type { ApiAnswer } from "./api-client.ts";

export const EXIT = { ok: 0, failed: 1, rejected: 2, usage: 64 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface Verdict {
  /** CANCELLED, PENDING, NOT_FOUND… or a short description of a failure. */
  outcome: string;
  exitCode: ExitCode;
}

const SUCCESS = new Set(["CANCELLED", "ALREADY_CANCELLED", "PENDING"]);
const REJECTION = new Set(["NOT_CANCELLABLE", "NOT_FOUND", "FORBIDDEN", "REFUND_REQUIRED"]);

/** Exit code for a service outcome name. */
export const exitForOutcome = (outcome: string): ExitCode =>
  SUCCESS.has(outcome) ? EXIT.ok : REJECTION.has(outcome) ? EXIT.rejected : EXIT.failed;

const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};

const failure = (answer: ApiAnswer, what: string): Verdict => ({
  outcome: `FAILED (HTTP ${answer.status}: ${what})`,
  exitCode: EXIT.failed,
});

/** The intent route answers in Procure-Core's envelope `{code, message, data}` (seed 000). */
export const intentVerdict = (answer: ApiAnswer): Verdict => {
  const body = record(answer.body);
  const data = record(body.data);
  const verdict = (outcome: string): Verdict => ({ outcome, exitCode: exitForOutcome(outcome) });
  switch (body.code) {
    case 0:
      return verdict(answer.status === 202 || data.status === "PROCESSING" ? "PENDING" : "CANCELLED");
    case 40003:
      // A repeat of a cancel that already happened: the intent is where the caller wants it.
      return verdict(data.currentStatus === "CANCELLED" ? "ALREADY_CANCELLED" : "NOT_CANCELLABLE");
    case 40401:
      return verdict("NOT_FOUND");
    case 40301:
      return verdict("FORBIDDEN");
    case 40900:
      return verdict("REFUND_REQUIRED");
    default:
      return failure(answer, typeof body.message === "string" ? body.message : "refused");
  }
};

/** The charge route answers as A55 does (seed 001). */
export const chargeVerdict = (answer: ApiAnswer): Verdict => {
  const body = record(answer.body);
  if (answer.status === 200 && body.status === "canceled") return { outcome: "CANCELLED", exitCode: EXIT.ok };
  const errors = Array.isArray(body.message) ? body.message.map(record) : [];
  const code = typeof errors[0]?.code === "string" ? errors[0].code : undefined;
  const outcome =
    answer.status === 409 && code === "ALREADY_CANCELED"
      ? "ALREADY_CANCELLED"
      : answer.status === 409 && code === "CANCEL_NOT_ALLOWED"
        ? "REFUND_REQUIRED"
        : answer.status === 400
          ? "NOT_CANCELLABLE"
          : answer.status === 403
            ? "FORBIDDEN"
            : answer.status === 404
              ? "NOT_FOUND"
              : undefined;
  return outcome === undefined
    ? failure(answer, code ?? "refused")
    : { outcome, exitCode: exitForOutcome(outcome) };
};

/** The order route answers `{orderId, outcome, steps}`, or `{error: {code, message}}`. */
export const orderVerdict = (answer: ApiAnswer): Verdict => {
  const body = record(answer.body);
  if (typeof body.outcome === "string")
    return { outcome: body.outcome, exitCode: exitForOutcome(body.outcome) };
  return serviceErrorVerdict(answer);
};

/**
 * An order's cancellation (the cancellation's view, or `{error: {code, message}}`): DONE → its
 * outcome's exit code; still open → 0 (it is being finished); STUCK → 1 (an operator must
 * look); 404 → rejected.
 */
export const orderStatusVerdict = (answer: ApiAnswer): Verdict => {
  const data = record(answer.body);
  if (answer.status === 200 && typeof data.state === "string") {
    if (data.state === "DONE") {
      const outcome = String(record(data.outcome).outcome ?? "DONE");
      return { outcome, exitCode: exitForOutcome(outcome) };
    }
    return { outcome: data.state, exitCode: data.state === "STUCK" ? EXIT.failed : EXIT.ok };
  }
  if (answer.status === 404 && record(data.error).code === "not-found") {
    return { outcome: "NOT_FOUND", exitCode: EXIT.rejected };
  }
  return serviceErrorVerdict(answer);
};

/** The audit route answers `{items, cursor?}`, or `{error: {code, message}}`. */
export const auditVerdict = (answer: ApiAnswer): Verdict =>
  answer.status === 200 && Array.isArray(record(answer.body).items)
    ? { outcome: "LISTED", exitCode: EXIT.ok }
    : serviceErrorVerdict(answer);

export const serviceErrorVerdict = (answer: ApiAnswer): Verdict => {
  const error = record(record(answer.body).error);
  if (error.code === "forbidden") return { outcome: "FORBIDDEN", exitCode: EXIT.rejected };
  return failure(answer, typeof error.code === "string" ? error.code : "refused");
};

/** A sweep's summary: any failed cancel or listing error makes the run a failure. */
export const sweepVerdict = (summary: unknown): Verdict => {
  const s = record(summary);
  const failed = Number(s.failed ?? 0);
  if (typeof s.listError === "string")
    return { outcome: "FAILED (could not list intents)", exitCode: EXIT.failed };
  if (failed > 0)
    return { outcome: `FAILED (${failed} cancel${failed === 1 ? "" : "s"} failed)`, exitCode: EXIT.failed };
  return { outcome: s.dryRun === true ? "DRY RUN" : "SWEPT", exitCode: EXIT.ok };
};
