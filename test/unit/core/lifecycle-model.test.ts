/**
 * The lifecycle's model-based test on in-memory ports (see test/support/lifecycle-model.ts
 * for the world, the schedules and the invariants). fast-check prints the seed, the path
 * and the shrunk counterexample on failure; `LIFECYCLE_MODEL_SEED=<seed>` (with
 * `LIFECYCLE_MODEL_PATH=<path>`) replays one, `LIFECYCLE_MODEL_RUNS` sets the number of cases.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import {
  InMemoryAuditLog,
  InMemoryCancellationStore,
  InMemoryIdempotencyStore,
  InMemoryUnitOfWork,
  SequentialIds,
} from "#test/support/in-memory-ports.ts";
import { lifecycleProperty, type Stores } from "#test/support/lifecycle-model.ts";

const inMemoryStores = async (): Promise<Stores> => {
  const audit = new InMemoryAuditLog();
  const cancellations = new InMemoryCancellationStore();
  const idempotency = new InMemoryIdempotencyStore();
  return {
    idempotency,
    cancellations,
    work: new InMemoryUnitOfWork(idempotency, cancellations, audit),
    audit,
    completedOutcomes: async () =>
      [...idempotency.keys.entries()]
        .filter(([, key]) => key.status === "COMPLETED")
        .map(([scopeKey, key]) => ({ scopeKey, outcome: key.outcome })),
    allRecords: async () => [...audit.records],
    cancellationWrites: () => cancellations.writes,
    close: async () => {},
  };
};

const RUNS = Number(process.env.LIFECYCLE_MODEL_RUNS ?? 1_000);
const SEED = process.env.LIFECYCLE_MODEL_SEED;
const PATH = process.env.LIFECYCLE_MODEL_PATH;

describe("the cancellation lifecycle, as a model", () => {
  it(`keeps every invariant over ${RUNS} random worlds, schedules, faults and crashes`, async () => {
    await fc.assert(
      lifecycleProperty(inMemoryStores, () => new SequentialIds()),
      {
        numRuns: RUNS,
        ...(SEED === undefined ? {} : { seed: Number(SEED) }),
        ...(PATH === undefined ? {} : { path: PATH }),
      },
    );
  }, 300_000);
});
