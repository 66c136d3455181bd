import type { Bus } from "./bus.ts";
import { tablePermissions } from "./permissions.ts";
import { scheduledFunction } from "./scheduled-function.ts";
import { type Secrets, upstreamSecretLinks } from "./secrets.ts";
import { commonEnvironment } from "./settings.ts";
import type { Storage } from "./storage.ts";

/** How often the expiry sweep runs (DESIGN.md: every 15 minutes). */
export const SWEEP_SCHEDULE = "rate(15 minutes)";

/**
 * The expiry sweep on EventBridge Scheduler (CronV2). The scheduler retries delivery and parks
 * what it cannot deliver in a DLQ. The Lambda itself is not retried asynchronously: the next run,
 * 15 minutes later, is the retry, and a retried run would overlap it and share A55's rate limit.
 */
export function createSchedule(deps: { storage: Storage; secrets: Secrets; bus: Bus }) {
  const { storage, secrets, bus } = deps;

  return scheduledFunction("ExpirySweep", {
    schedule: SWEEP_SCHEDULE,
    maxEventAgeSeconds: 900,
    function: {
      handler: "functions/handlers/expiry-sweep.handler",
      description: "Cancels SUBMITTED intents older than EXPIRY_AFTER",
      memory: "1024 MB",
      // The sweep's time budget is read from the invocation's remaining time: this is its ceiling.
      timeout: "300 seconds",
      link: upstreamSecretLinks(secrets),
      environment: {
        ...commonEnvironment({
          idempotencyTable: storage.idempotency.name,
          auditTable: storage.audit.name,
          eventBusName: bus.bus.name,
        }),
        EXPIRY_AFTER: "24h",
        SWEEP_CONCURRENCY: "8",
      },
      permissions: [
        ...tablePermissions(storage, {
          idempotency: ["PutItem", "UpdateItem"],
          audit: ["PutItem"],
        }),
      ],
    },
  });
}
