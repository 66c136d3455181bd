/**
 * Scheduled entry point (every minute): the continuation, which finishes open
 * cancellations — orders waiting on an asynchronous intent cancel, charges still due,
 * requests that died midway — oldest-due first, within the invocation's deadline and the
 * background share of the upstream budget. Independent of the sweep, its early stop and
 * its dry run.
 */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { type ContinuationSummary, runContinuation } from "#core/continuation.ts";
import { getContainer } from "#wiring/container.ts";
import { getLogger, recordContinuation } from "#wiring/observability.ts";
import { deadlineOf, NO_EARLY_TIMEOUT } from "./lambda-deadline.ts";

const logger = getLogger();

export interface ContinuationResult extends ContinuationSummary {
  /** Open (not final) cancellations after the run, and how many of them are STUCK. */
  open: number;
  stuck: number;
}

const continueOpen = async (_event: unknown, context: Context): Promise<ContinuationResult> => {
  const container = getContainer();
  const { config, metrics } = container;
  logger.setCorrelationId(context.awsRequestId);
  const summary = await runContinuation(
    container.deps,
    {
      trigger: "schedule",
      actor: "continuation",
      correlationId: context.awsRequestId,
      deadline: deadlineOf(context),
    },
    {
      ...config.continuation,
      stopMarginMs: config.upstreamTimeoutMs,
    },
  );
  const open = await container.deps.cancellations.countOpen();
  recordContinuation(metrics, summary, open);
  const result = { ...summary, ...open };
  if (summary.becameStuck > 0) {
    logger.error("cancellations became STUCK: an operator must look (cancelctl pending --stuck)", {
      ...result,
    });
  } else if (summary.checked > 0 || summary.takenOver > 0)
    logger.info("continuation finished", { ...result });
  else logger.debug("continuation found nothing due", { ...result });
  return result;
};

export const handler = middy<unknown, ContinuationResult>(NO_EARLY_TIMEOUT)
  .use(injectLambdaContext(logger))
  .handler(continueOpen);
