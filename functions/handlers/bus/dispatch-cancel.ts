import type { CancelRequested } from "#adapters/events/cancel-requested-schema.ts";
import { cancelCharge } from "#core/cancel-charge.ts";
import { cancelIntent } from "#core/cancel-intent.ts";
import { cancelOrder } from "#core/cancel-order.ts";
import type { CancelContext, CancelDependencies } from "#core/dependencies.ts";
import type { Target } from "#core/outcome.ts";
import type { OnceResult } from "#core/run-once.ts";

/** The one use case a `Cancel Requested` event asks for. */
export const dispatchCancel = (
  deps: CancelDependencies,
  context: CancelContext,
  request: CancelRequested,
): Promise<OnceResult> => {
  const { target, reason } = request;
  if (target.type === "intent") return cancelIntent(deps, context, { intentId: target.id, reason });
  if (target.type === "charge") return cancelCharge(deps, context, { ...target, reason });
  return cancelOrder(deps, context, {
    orderId: target.orderId,
    intentId: target.intentId,
    charge: target.charge,
    reason,
  });
};

/** The audit target of a request. */
export const requestedTarget = (request: CancelRequested): Target => {
  const { target } = request;
  if (target.type === "order") return { type: "order", id: target.orderId };
  if (target.type === "charge")
    return { type: "charge", id: target.chargeUuid, walletUuid: target.walletUuid };
  return target;
};
