import type { CancelOutcome, OperationalProblem } from "#core/outcome.ts";
import type { Trigger } from "#core/ports.ts";
import type { OnceResult } from "#core/run-once.ts";
import type { Container } from "#wiring/container.ts";
import { recordOperationalFailure, recordOutcome } from "#wiring/observability.ts";

/** What an operator does about each kind of operational failure (logged with it). */
export const OPERATOR_ACTION: Record<OperationalProblem, string> = {
  unavailable: "the upstream (or a store) is down or slow; it is retried; look if it lasts",
  "rate-limited": "the upstream budget is spent; it is retried after Retry-After; look if it lasts",
  "credentials-refused":
    "fix the upstream credentials in Secrets Manager (docs/deploy.md: Set and rotate the secrets)",
  "contract-violation":
    "the upstream answered outside its documented contract; check the upstream and its answer",
  internal: "this service failed (configuration or a bug); see the error and fix it",
};

/** One log line and one metric per cancel, whatever the trigger; operational failures also counted by kind. */
export const reportOnce = (container: Container, trigger: Trigger, result: OnceResult): OnceResult => {
  const { logger, metrics } = container;
  if (result.kind !== "outcome") {
    logger.info("cancel refused by idempotency", { trigger, idempotency: result.kind });
    return result;
  }
  const { outcome, replayed } = result;
  recordOutcome(metrics, trigger, replayed ? "REPLAYED" : outcome.type);
  const fields = {
    trigger,
    target: outcome.target,
    outcome: outcome.type,
    replayed,
    detail: summary(outcome),
    upstream: outcome.upstream,
  };
  if (outcome.type === "FAILED" && outcome.retryable) {
    const problem = outcome.problem ?? "internal";
    recordOperationalFailure(metrics, trigger, problem);
    logger.warn("cancel not done: operational failure, not stored, will be retried", {
      ...fields,
      problem,
      operatorAction: OPERATOR_ACTION[problem],
    });
  } else if (outcome.type === "FAILED") logger.warn("cancel failed", fields);
  else logger.info("cancel finished", fields);
  return result;
};

const summary = (outcome: CancelOutcome): string | undefined =>
  "reason" in outcome ? outcome.reason : undefined;
