/**
 * Scheduled entry point: the expiry sweep. Its time budget is the invocation's own (the
 * function's timeout); every upstream request takes a slot of the shared upstream budget
 * as background work, waiting only while a slot frees before the deadline (the sweep stops
 * early otherwise). Progress is logged as it goes and published on a diagnostics channel
 * for local tools. Asynchronous cancels it leaves PENDING are finished by the continuation
 * (its own schedule), never by the next sweep.
 */
import { channel } from "node:diagnostics_channel";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { runExpirySweep, type SweepSummary } from "#core/expiry-sweep.ts";
import { SWEEP_OWNER } from "#core/ownership.ts";
import { getContainer } from "#wiring/container.ts";
import { getLogger } from "#wiring/observability.ts";
import { deadlineOf, NO_EARLY_TIMEOUT } from "./lambda-deadline.ts";
import { SWEEP_PROGRESS_CHANNEL } from "./progress-channels.ts";

const logger = getLogger();

export { SWEEP_PROGRESS_CHANNEL };

const progress = channel(SWEEP_PROGRESS_CHANNEL);
const PROGRESS_EVERY = 100;

export interface SweepResult extends SweepSummary {
  /** What this run took from the shared upstream budget: requests sent (every attempt), ms waited for slots, refusals. */
  budget: { requests: number; waitedMs: number; refused: number };
}

const runSweep = async (event: { dryRun?: unknown } | undefined, context: Context): Promise<SweepResult> => {
  const container = getContainer();
  const { config } = container;
  const sweepContext = {
    trigger: "schedule" as const,
    actor: "expiry-sweep",
    owner: SWEEP_OWNER,
    correlationId: context.awsRequestId,
    deadline: deadlineOf(context),
  };
  logger.setCorrelationId(context.awsRequestId);
  const dryRun = event?.dryRun === true || config.sweep.dryRun;
  logger.info("sweep started", {
    dryRun,
    expiryAfterMs: config.sweep.expiryAfterMs,
    concurrency: config.sweep.concurrency,
  });
  let done = 0;
  const budgetBefore = container.budget.stats;
  const summary = await runExpirySweep(container.deps, sweepContext, {
    ...config.sweep,
    dryRun,
    stopMarginMs: config.upstreamTimeoutMs,
    onProgress: (sofar) => {
      if (progress.hasSubscribers) progress.publish(sofar);
      if (++done % PROGRESS_EVERY === 0) logger.info("sweep progress", { ...sofar });
    },
  });
  const budgetAfter = container.budget.stats;
  const result: SweepResult = {
    ...summary,
    budget: {
      requests: budgetAfter.taken - budgetBefore.taken,
      waitedMs: budgetAfter.waitedMs - budgetBefore.waitedMs,
      refused: budgetAfter.refused - budgetBefore.refused,
    },
  };
  if (summary.listError) logger.error("sweep could not list intents", { error: summary.listError });
  logger.info("sweep finished", { ...result });
  return result;
};

export const handler = middy<{ dryRun?: unknown } | undefined, SweepResult>(NO_EARLY_TIMEOUT)
  .use(injectLambdaContext(logger))
  .handler(runSweep);
