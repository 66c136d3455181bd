import type { Bus } from "./bus.ts";
import { tablePermissions } from "./permissions.ts";
import { scheduledFunction } from "./scheduled-function.ts";
import { type Secrets, upstreamSecretLinks } from "./secrets.ts";
import { commonEnvironment } from "./settings.ts";
import type { Storage } from "./storage.ts";

/** How often the continuation runs (DESIGN.md: every minute). */
export const CONTINUATION_SCHEDULE = "rate(1 minute)";

/**
 * The continuation on EventBridge Scheduler: finishes open cancellations (orders waiting on
 * an asynchronous intent cancel, charges still due, requests that died midway) oldest-due
 * first. Not retried asynchronously: the next run, a minute later, is the retry, and a
 * retried run would only overlap it. Its transitions are versioned, so an overlap is safe.
 */
export function createContinuation(deps: { storage: Storage; secrets: Secrets; bus: Bus }) {
  const { storage, secrets, bus } = deps;

  return scheduledFunction("Continuation", {
    schedule: CONTINUATION_SCHEDULE,
    maxEventAgeSeconds: 60,
    function: {
      handler: "functions/handlers/continuation.handler",
      description: "Finishes open cancellations: pending intents, due charges, orphaned orders",
      memory: "512 MB",
      // Shorter than the schedule's period: one run is over before the next starts.
      timeout: "50 seconds",
      link: upstreamSecretLinks(secrets),
      environment: {
        ...commonEnvironment({
          idempotencyTable: storage.idempotency.name,
          auditTable: storage.audit.name,
          eventBusName: bus.bus.name,
        }),
        STUCK_AFTER: "24h",
      },
      permissions: [
        ...tablePermissions(storage, {
          idempotency: ["PutItem", "UpdateItem", "GetItem"],
          audit: ["PutItem"],
          // The due cancellations, oldest first (index byNextCheck).
          openCancellationsIndex: true,
        }),
      ],
    },
  });
}
