import type { RequestRateGate } from "#adapters/http/request-rate-gate.ts";
import type { CallOptions, IntentsUpstream, ListIntentsQuery, RateLimitInfo } from "#core/ports.ts";

/** Procure-Core behind a rate gate: every call waits for the gate, and feeds back what the upstream announced. */
export const rateLimitedIntents = (intents: IntentsUpstream, gate: RequestRateGate): IntentsUpstream => {
  const gated =
    <A, R extends object>(call: (arg: A, options?: CallOptions) => Promise<R>) =>
    async (arg: A, options?: CallOptions): Promise<R> => {
      await gate.acquire();
      const result = await call(arg, options);
      gate.observe((result as { meta?: { rateLimit?: RateLimitInfo } }).meta?.rateLimit);
      return result;
    };
  return {
    cancelIntent: gated((id: string, options) => intents.cancelIntent(id, options)),
    getIntent: gated((id: string, options) => intents.getIntent(id, options)),
    listIntents: gated((query: ListIntentsQuery, options) => intents.listIntents(query, options)),
  };
};
