/**
 * A function invoked in this very process, through the same `Invoker` interface as a
 * function pool: for tests and benchmarks that need the handler's module state in their
 * own process (the handler kit's container, spies on it). One shared module state, so it is
 * not how `npm start` runs functions (function-pool.ts is).
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { Context } from "aws-lambda";
import { invokeWithBudget } from "../lambda-context.ts";
import type { InvokeOptions, Invoker, InvokerStats } from "./invoker.ts";
import { identityOf, type LocalFunctionSpec } from "./local-function.ts";

export const inProcessInvoker = (
  spec: LocalFunctionSpec,
  handler: (event: never, context: Context) => Promise<unknown>,
): Invoker => {
  let invocations = 0;
  let errors = 0;
  return {
    spec,
    invoke: async (event: unknown, options: InvokeOptions = {}) => {
      invocations += 1;
      const listeners = (spec.channels ?? []).map((name) => {
        const listener = (message: unknown): void => options.onChannelMessage?.(name, message);
        subscribe(name, listener);
        return () => unsubscribe(name, listener);
      });
      try {
        return await invokeWithBudget(
          identityOf(spec),
          (context) => handler(event as never, context),
          options,
        );
      } catch (error) {
        errors += 1;
        throw error;
      } finally {
        for (const stop of listeners) stop();
      }
    },
    stats: (): InvokerStats => ({
      containers: 1,
      busy: 0,
      waiting: 0,
      invocations,
      coldStarts: 1,
      initMs: [],
      errors,
      timeouts: 0,
      peakBusy: 1,
    }),
    close: async () => {},
  };
};
