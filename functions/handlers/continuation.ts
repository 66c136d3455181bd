/**
 * Scheduled entry point (every minute): the continuation, which finishes open
 * cancellations — orders waiting on an asynchronous intent cancel, charges still due,
 * requests that died midway — oldest-due first, within the invocation's deadline and the
 * background share of the upstream budget. Independent of the sweep, its early stop and
 * its dry run.
 *
 * Each run first drives the bulk cancellation jobs that are due (core/bulk-driver.ts): it
 * moves them through their states and keeps about two minutes of their items waiting on the
 * work queue. That look is short (a window of sends and a few writes per job) and takes at
 * most half the invocation, so the queue stays fed whatever the continuation's own backlog;
 * a failure of it is logged, the continuation still runs, and the invocation fails after.
 */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { type DriverSummary, driveBulkJobs } from "#core/bulk-driver.ts";
import { type ContinuationSummary, runContinuation } from "#core/continuation.ts";
import { CONTINUATION_OWNER } from "#core/ownership.ts";
import { getBulkDriverWiring } from "#wiring/bulk-driver-wiring.ts";
import { type Container, getContainer } from "#wiring/container.ts";
import { getLogger, recordBulkDriver, recordContinuation } from "#wiring/observability.ts";
import { deadlineOf, NO_EARLY_TIMEOUT, WRITE_MARGIN_MS } from "./lambda-deadline.ts";

const logger = getLogger();

/** Due bulk jobs looked at per run (the rest are due at the next run). */
const BULK_JOBS_PER_RUN = 25;

export interface ContinuationResult extends ContinuationSummary {
  /** Open (not final) cancellations after the run, and how many of them are STUCK. */
  open: number;
  stuck: number;
  /** The bulk driver's run; absent when it failed (the invocation then fails). */
  bulk?: DriverSummary;
}

/** One run of the bulk driver, within half of what is left of the invocation. */
const driveBulk = async (
  container: Container,
  deadline: number,
): Promise<{ summary: DriverSummary } | { error: unknown }> => {
  const now = Date.now();
  try {
    const summary = await driveBulkJobs(getBulkDriverWiring(container), {
      deadline: now + Math.max(0, deadline - now) / 2,
      stopMarginMs: WRITE_MARGIN_MS,
      pageSize: BULK_JOBS_PER_RUN,
    });
    recordBulkDriver(container.metrics, summary);
    for (const job of summary.stuck) {
      logger.error(
        "bulk job stuck: nothing sent, started or finished for an hour; cancelctl bulk status, then cancelctl dlq list",
        { ...job },
      );
    }
    const { stuck: _, ...counts } = summary;
    if (summary.jobs > 0) logger.info("bulk jobs driven", { ...counts, stuckJobs: summary.stuck.length });
    return { summary };
  } catch (error) {
    logger.error("bulk driver failed; the continuation runs, then this invocation fails", {
      error: error as Error,
    });
    return { error };
  }
};

const continueOpen = async (_event: unknown, context: Context): Promise<ContinuationResult> => {
  const container = getContainer();
  const { config, metrics } = container;
  logger.setCorrelationId(context.awsRequestId);
  const deadline = deadlineOf(context);
  const bulk = await driveBulk(container, deadline);
  const summary = await runContinuation(
    container.deps,
    {
      trigger: "schedule",
      actor: "continuation",
      owner: CONTINUATION_OWNER,
      correlationId: context.awsRequestId,
      deadline,
    },
    {
      ...config.continuation,
      stopMarginMs: config.upstreamTimeoutMs,
    },
  );
  const open = await container.deps.cancellations.countOpen();
  recordContinuation(metrics, summary, open);
  const result = { ...summary, ...open, ...("summary" in bulk && { bulk: bulk.summary }) };
  if (summary.becameStuck > 0) {
    logger.error("cancellations became STUCK: an operator must look (cancelctl pending --stuck)", {
      ...summary,
      ...open,
    });
  } else if (summary.checked > 0 || summary.takenOver > 0)
    logger.info("continuation finished", { ...summary, ...open });
  else logger.debug("continuation found nothing due", { ...summary, ...open });
  if ("error" in bulk) throw bulk.error;
  return result;
};

export const handler = middy<unknown, ContinuationResult>(NO_EARLY_TIMEOUT)
  .use(injectLambdaContext(logger))
  .handler(continueOpen);
