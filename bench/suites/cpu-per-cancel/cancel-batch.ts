/**
 * One batch of suite 2 (../cpu-per-cancel.ts): 1,000 cancels of fresh intents through
 * one entry point (the core use case, the route code, or the exported handler), with
 * everything but the cancels prepared before the clock starts; CPU and wall time per
 * cancel. Its sibling: memory-container.ts (the in-memory service each batch runs on).
 */
import { randomUUID } from "node:crypto";
import { cancelIntent } from "#core/cancel-intent.ts";
import type { CancelContext } from "#core/dependencies.ts";
import { toHttpRequest } from "#handlers/http/http-request.ts";
import { ROUTE_HANDLERS } from "#handlers/http/route-handlers.ts";
import { matchRoute } from "#handlers/http/routes.ts";
import { lambdaContext, signedRequest } from "#test/support/lambda-events.ts";
import { setContainer } from "#wiring/container.ts";
import { APP, memoryContainer } from "./memory-container.ts";

export const BATCH = 1_000;

const BODY = JSON.stringify({ reason: "bench: customer asked" });

export type Variant = "core" | "route" | "handler";
export const VARIANTS: readonly Variant[] = ["core", "route", "handler"];

const signedCancel = (intentId: string) =>
  signedRequest({
    app: APP,
    method: "POST",
    path: `/api/v1/intents/${intentId}/cancel`,
    body: BODY,
    headers: { "idempotency-key": randomUUID(), "content-type": "application/json" },
  });

export interface BatchResult {
  cpuUs: number;
  wallUs: number;
  succeeded: number;
}

/** One batch of one variant; everything but the cancels themselves is prepared before the clock starts. */
export const runBatch = async (
  variant: Variant,
  handler: (event: unknown, context: unknown) => Promise<unknown>,
  batch: number,
): Promise<BatchResult> => {
  const { memory, container, ids } = memoryContainer(BATCH, `cpu_${variant}_${batch}`);
  let succeeded = 0;
  let cpu: NodeJS.CpuUsage;
  let wallStart: number;
  if (variant === "core") {
    const deadline = memory.clock.now() + 10_000;
    const contexts: CancelContext[] = ids.map((_, i) => {
      const key = randomUUID();
      return {
        trigger: "http",
        actor: APP.appId,
        owner: APP.appId,
        correlationId: `bench-${batch}-${i}`,
        deadline,
        idempotency: { scopeKey: `http:${APP.appId}:intent-cancel:${key}`, key },
      };
    });
    wallStart = performance.now();
    cpu = process.cpuUsage();
    for (let i = 0; i < ids.length; i++) {
      const result = await cancelIntent(memory.deps, contexts[i] as CancelContext, {
        intentId: ids[i] ?? "",
        reason: "bench: customer asked",
      });
      if (result.kind === "outcome" && result.outcome.type === "CANCELLED") succeeded++;
    }
  } else if (variant === "route") {
    const events = ids.map(signedCancel);
    const deadline = Date.now() + 60_000;
    wallStart = performance.now();
    cpu = process.cpuUsage();
    for (const event of events) {
      const request = toHttpRequest(event, container.config.maxBodyBytes);
      const route = matchRoute(request.method, request.path);
      const response = await ROUTE_HANDLERS[route.name]({
        container,
        request,
        params: route.params,
        correlationId: event.requestContext.requestId,
        deadline,
      });
      if (response.statusCode === 200) succeeded++;
    }
  } else {
    setContainer(container);
    const events = ids.map(signedCancel);
    const contexts = ids.map(() => lambdaContext({ remainingMs: 60_000 }));
    wallStart = performance.now();
    cpu = process.cpuUsage();
    for (let i = 0; i < events.length; i++) {
      const response = (await handler(events[i], contexts[i])) as { statusCode: number };
      if (response.statusCode === 200) succeeded++;
    }
  }
  const used = process.cpuUsage(cpu);
  const wallUs = (performance.now() - wallStart) * 1000;
  if (memory.intents.effects !== succeeded) {
    throw new Error(
      `${variant}: ${succeeded} answered cancels but ${memory.intents.effects} upstream effects`,
    );
  }
  return { cpuUs: (used.user + used.system) / ids.length, wallUs: wallUs / ids.length, succeeded };
};
