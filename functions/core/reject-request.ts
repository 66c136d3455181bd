import { auditRecord } from "./audit-record.ts";
import type { CancelContext, CancelDependencies } from "./dependencies.ts";
import type { CancelOutcome, Target } from "./outcome.ts";
import { outcomeEvent } from "./outcome-events.ts";

/**
 * Records a request that can never be carried out as sent (a malformed event, a key
 * reused with another payload): nothing goes upstream.
 *
 * 1. Append a REJECTED audit record for the target (or the event, when no target could be read).
 * 2. Publish `Cancellation Rejected` so the requester learns of it.
 */
export const rejectRequest = async (
  deps: CancelDependencies,
  context: CancelContext,
  target: Target,
  reason: string,
): Promise<CancelOutcome> => {
  const startedAt = deps.clock.now();
  const outcome: CancelOutcome = { type: "REJECTED", target, reason };
  const audit = auditRecord(deps, context, outcome, undefined, startedAt);
  await deps.audit.append(audit);
  await deps.events.publish([outcomeEvent(context, outcome, undefined, audit.at)]);
  return outcome;
};
