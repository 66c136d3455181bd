/**
 * One `Cancel Requested` through the bus trigger, as the platform delivers it: the event put
 * on the work queue as the rule does, then delivered to the exported bus handler in a batch
 * of its own, as the event source mapping does; delivered again (a new receive) while it
 * does not settle, up to 3 times. Deliveries through one kit take turns, so each batch holds
 * the caller's own event.
 */
import type { HandlerKit } from "#test/support/handler-kit.ts";
import { eventBridgeEvent } from "#test/support/lambda-events.ts";

const MAX_DELIVERIES = 3;
const turns = new WeakMap<HandlerKit, Promise<unknown>>();

/** @returns the settled outcome, or throws with the last verdict after 3 deliveries */
export const deliverCancelRequested = async (
  kit: HandlerKit,
  detail: unknown,
): Promise<{ outcome: string; replayed: boolean }> => {
  const event = eventBridgeEvent(detail);
  const mine = (turns.get(kit) ?? Promise.resolve()).then(async () => {
    let last: unknown;
    for (let delivery = 1; delivery <= MAX_DELIVERIES; delivery += 1) {
      const { verdicts } = await kit.deliverBus(event);
      const verdict = verdicts[0]?.verdict;
      if (verdict?.kind === "settled") return { outcome: verdict.outcome, replayed: verdict.replayed };
      last = verdict;
    }
    throw new Error(`Cancel Requested ${event.id} did not settle: ${JSON.stringify(last)}`);
  });
  turns.set(
    kit,
    mine.catch(() => undefined),
  );
  return mine;
};
