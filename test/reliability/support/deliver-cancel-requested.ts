/**
 * One `Cancel Requested` through the bus trigger, as the platform delivers it: the exported
 * bus handler, invoked again on a throw, up to 3 deliveries (Lambda's asynchronous
 * invocation). Kept in one place so a change of the bus trigger's shape (an SQS batch of
 * such events) is adapted here only.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { HandlerKit } from "#test/support/handler-kit.ts";
import { eventBridgeEvent, lambdaContext } from "#test/support/lambda-events.ts";

const MAX_DELIVERIES = 3;

/** @returns the handler's answer to the delivery that settled; rethrows the last error after 3 */
export const deliverCancelRequested = async (kit: HandlerKit, detail: unknown): Promise<unknown> => {
  const event = eventBridgeEvent(detail);
  for (let delivery = 1; ; delivery += 1) {
    try {
      return await kit.handlers.bus(event, lambdaContext({ remainingMs: 60_000 }));
    } catch (error) {
      if (delivery >= MAX_DELIVERIES) throw error;
      await sleep(20);
    }
  }
};
