import type { CancelOutcome } from "#core/outcome.ts";
import type { Trigger } from "#core/ports.ts";
import type { OnceResult } from "#core/run-once.ts";
import type { Container } from "#wiring/container.ts";
import { recordOutcome } from "#wiring/observability.ts";

/** One log line and one metric per cancel, whatever the trigger. */
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
  if (outcome.type === "FAILED") logger.warn("cancel failed", fields);
  else logger.info("cancel finished", fields);
  return result;
};

const summary = (outcome: CancelOutcome): string | undefined =>
  "reason" in outcome ? outcome.reason : undefined;
