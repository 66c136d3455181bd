import type { CancelContext, CancelDependencies } from "./dependencies.ts";
import type { Target } from "./outcome.ts";
import { type OnceResult, runOnce } from "./run-once.ts";

/**
 * Records a request that can never be carried out as sent (a malformed event, a key
 * reused with another payload): nothing goes upstream.
 *
 * 1. Take the request's idempotency key like any cancel, so a redelivered event is
 *    replayed rather than recorded twice.
 * 2. Complete it as REJECTED with its audit record (under the target, or the event when
 *    no target could be read).
 * 3. Publish `Cancellation Rejected` so the requester learns of it.
 */
export const rejectRequest = (
  deps: CancelDependencies,
  context: CancelContext,
  target: Target,
  reason: string,
): Promise<OnceResult> =>
  runOnce(deps, context, {
    target,
    payload: { rejected: reason },
    reason: undefined,
    work: async () => ({ type: "REJECTED", target, reason }),
  });
