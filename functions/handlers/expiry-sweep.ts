/**
 * Scheduled entry point: the expiry sweep. Its time budget is the invocation's own (the
 * function's timeout); progress is logged as it goes and published on a diagnostics
 * channel for local tools. Asynchronous cancels it leaves PENDING are finished by the
 * continuation (its own schedule), never by the next sweep.
 */
import { channel } from "node:diagnostics_channel";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { runExpirySweep, type SweepSummary } from "#core/expiry-sweep.ts";
import { getContainer } from "#wiring/container.ts";
import { getLogger } from "#wiring/observability.ts";
import { deadlineOf, NO_EARLY_TIMEOUT } from "./lambda-deadline.ts";

const logger = getLogger();

export const SWEEP_PROGRESS_CHANNEL = "cancellation-service:sweep-progress";
const progress = channel(SWEEP_PROGRESS_CHANNEL);
const PROGRESS_EVERY = 100;

export interface SweepResult extends SweepSummary {
  peakRequestsPerMinute: number;
}

const runSweep = async (event: { dryRun?: unknown } | undefined, context: Context): Promise<SweepResult> => {
  const container = getContainer();
  const { config } = container;
  const sweepContext = {
    trigger: "schedule" as const,
    actor: "expiry-sweep",
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
  const summary = await runExpirySweep(container.sweepDeps, sweepContext, {
    ...config.sweep,
    dryRun,
    stopMarginMs: config.upstreamTimeoutMs,
    onProgress: (sofar) => {
      if (progress.hasSubscribers) progress.publish(sofar);
      if (++done % PROGRESS_EVERY === 0) logger.info("sweep progress", { ...sofar });
    },
  });
  const result: SweepResult = { ...summary, peakRequestsPerMinute: container.sweepGate.peakPerMinute };
  if (summary.listError) logger.error("sweep could not list intents", { error: summary.listError });
  logger.info("sweep finished", { ...result });
  return result;
};

export const handler = middy<{ dryRun?: unknown } | undefined, SweepResult>(NO_EARLY_TIMEOUT)
  .use(injectLambdaContext(logger))
  .handler(runSweep);
