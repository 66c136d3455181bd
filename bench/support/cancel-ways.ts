/**
 * Suite 1's two ways of cancelling one Procure-Core intent, each timed from the call to its
 * answer: through the exported HTTP handler (signed before the clock starts, its DynamoDB round
 * trips counted), and directly with `ProcureCoreClient.cancelIntent` against the same sandbox with
 * the service's retry settings. The handler way also serves the replays: the same request with
 * the same Idempotency-Key, answered from the stored outcome.
 */
import { createRetryPolicy, DEFAULT_RETRY_SETTINGS } from "#adapters/http/retry-policy.ts";
import { ProcureCoreClient } from "#adapters/procure-core/procure-core-client.ts";
import { DEFAULT_DEMO_SECRET, DEMO_APP_ID } from "#local/sandboxes/procure-core/demo-intents.ts";
import type { HandlerKit } from "#test/support/handler-kit.ts";
import { lambdaContext } from "#test/support/lambda-events.ts";
import type { ServiceConfig } from "#wiring/config.ts";

const REASON_BODY = JSON.stringify({ reason: "bench: customer asked" });

export interface HandledCancel {
  ms: number;
  roundTrips: number;
  /** HTTP 200 with Procure-Core's `code` 0: the intent cancelled (or, replayed, its stored answer). */
  ok: boolean;
  /** The answer says `Idempotent-Replayed: true`. */
  replayed: boolean;
  intentId: string;
  key: string;
}

/** Cancels `intentId` through the exported HTTP handler with `key` as its Idempotency-Key. */
export const cancelThroughHandler =
  (kit: HandlerKit) =>
  async (intentId: string, key: string): Promise<HandledCancel> => {
    const event = kit.signed({
      method: "POST",
      path: `/api/v1/intents/${intentId}/cancel`,
      body: REASON_BODY,
      headers: { "idempotency-key": key, "content-type": "application/json" },
    });
    const context = lambdaContext();
    kit.roundTrips.reset();
    const started = performance.now();
    const result = (await kit.handlers.http(event, context)) as {
      statusCode: number;
      body?: string;
      headers?: Record<string, string>;
    };
    const ms = performance.now() - started;
    const code = result.body ? (JSON.parse(result.body) as { code?: number }).code : undefined;
    const replayed = Object.entries(result.headers ?? {}).some(
      ([name, value]) => name.toLowerCase() === "idempotent-replayed" && String(value) === "true",
    );
    return {
      ms,
      roundTrips: kit.roundTrips.total(),
      ok: result.statusCode === 200 && code === 0,
      replayed,
      intentId,
      key,
    };
  };

/** Cancels `intentId` with the upstream client alone, as the service's configuration sets its retries. */
export const cancelDirectly = (kit: HandlerKit, config: ServiceConfig) => {
  const credentials = { baseUrl: kit.procureCore.url, appId: DEMO_APP_ID, appSecret: DEFAULT_DEMO_SECRET };
  const direct = new ProcureCoreClient({
    credentials: { get: async () => credentials, refresh: async () => credentials },
    retryPolicy: createRetryPolicy({
      ...DEFAULT_RETRY_SETTINGS,
      maxAttempts: config.upstreamMaxAttempts,
      attemptTimeoutMs: config.upstreamTimeoutMs,
    }),
  });
  return async (intentId: string): Promise<{ ms: number; ok: boolean }> => {
    const started = performance.now();
    const result = await direct.cancelIntent(intentId, { deadline: Date.now() + 10_000 });
    return {
      ms: performance.now() - started,
      ok: result.kind === "accepted" && result.intent.status === "CANCELLED",
    };
  };
};
