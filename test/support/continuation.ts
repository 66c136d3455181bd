/** The continuation as its scheduled handler runs it, for use-case tests on any ports. */

import type { ContinuationOptions } from "#core/continuation.ts";
import type { CancelContext } from "#core/dependencies.ts";

export const CONTINUATION_OPTIONS: ContinuationOptions = {
  concurrency: 4,
  pageSize: 50,
  stopMarginMs: 1_000,
};

export const continuationContext = (
  now: number,
  correlationId = "continuation-run",
): Omit<CancelContext, "idempotency"> => ({
  trigger: "schedule",
  actor: "continuation",
  owner: "schedule:continuation",
  correlationId,
  deadline: now + 60_000,
});
