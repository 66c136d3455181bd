/**
 * Suite 2's service without I/O (../cpu-per-cancel.ts): a container over fresh in-memory
 * doubles of every port (test/support/in-memory-ports.ts), holding SUBMITTED intents, with
 * the process's logger and metrics and one client app allowed to cancel intents. Its
 * sibling: cancel-batch.ts (one batch of cancels through one entry point, timed).
 */
import { SharedUpstreamBudget } from "#adapters/budget/shared-upstream-budget.ts";
import type { ClientsSecret } from "#adapters/secrets/secret-shapes.ts";
import { NO_GRANT } from "#core/grants.ts";
import { InMemoryBulkStore } from "#test/support/in-memory-bulk.ts";
import { inMemoryDependencies } from "#test/support/in-memory-ports.ts";
import { MemoryRingStore } from "#test/support/memory-ring-store.ts";
import { readConfig } from "#wiring/config.ts";
import type { Container } from "#wiring/container.ts";
import { getLogger, getMetrics } from "#wiring/observability.ts";

export const APP = { appId: "bench_app", secret: "bench_secret_0123456789abcdef" };
const CLIENTS: ClientsSecret = {
  apps: { [APP.appId]: { secrets: [APP.secret], grant: { ...NO_GRANT, intents: "write" } } },
  tokens: [],
};
/** A container over fresh in-memory doubles, holding `count` SUBMITTED intents. */
export const memoryContainer = (count: number, prefix: string) => {
  const memory = inMemoryDependencies();
  const ids = Array.from({ length: count }, (_, i) => `${prefix}_${String(i).padStart(5, "0")}`);
  for (const id of ids) memory.intents.add(id, "SUBMITTED");
  const config = readConfig({
    IDEMPOTENCY_TABLE: "bench-idempotency",
    AUDIT_TABLE: "bench-audit",
    EVENT_BUS_NAME: "bench",
    SECRETS_FILE: "/nonexistent/secrets.json",
  });
  const container: Container = {
    config,
    // The process's logger and metrics, as `getContainer` wires them in production.
    logger: getLogger(),
    metrics: getMetrics(),
    deps: memory.deps,
    // The in-memory upstreams take no slots; the budget is there because the container has one.
    budget: new SharedUpstreamBudget({ ...config.budget, store: new MemoryRingStore() }),
    clients: { get: async () => CLIENTS, refresh: async () => CLIENTS },
    bulk: new InMemoryBulkStore(),
  };
  return { memory, container, ids };
};
