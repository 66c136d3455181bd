/**
 * The lifecycle's model-based test (test/support/lifecycle-model.ts) on DynamoDB Local: the
 * same worlds, schedules and invariants as the in-memory run in `npm test`, fewer cases,
 * each on fresh tables, so conditional writes, transactions and the sparse index are the
 * real ones. `LIFECYCLE_MODEL_DYNAMO_RUNS` sets the number of cases.
 */
import { type DynamoDBClient, paginateScan } from "@aws-sdk/client-dynamodb";
import fc from "fast-check";
import { afterAll, beforeAll, describe, inject, it } from "vitest";
import { fromAuditItem } from "#adapters/dynamo/audit-item.ts";
import { DynamoAuditLog } from "#adapters/dynamo/audit-log.ts";
import { DynamoCancellationStore } from "#adapters/dynamo/cancellation-store.ts";
import { DynamoIdempotencyStore } from "#adapters/dynamo/idempotency-store.ts";
import { DynamoUnitOfWork } from "#adapters/dynamo/unit-of-work.ts";
import { createLocalDynamoClient, createTestTables } from "#test/support/dynamo-tables.ts";
import { lifecycleProperty, type Stores } from "#test/support/lifecycle-model.ts";
import { ulidIds } from "#wiring/container.ts";

let client: DynamoDBClient;

beforeAll(() => {
  client = createLocalDynamoClient(inject("dynamoEndpoint"));
});
afterAll(() => client?.destroy());

let tablesMade = 0;

const dynamoStores = async (): Promise<Stores> => {
  const tables = await createTestTables(client, `lifecycle-model-${++tablesMade}`);
  const scan = async (table: string) => {
    const items = [];
    for await (const page of paginateScan({ client }, { TableName: table, ConsistentRead: true })) {
      items.push(...(page.Items ?? []));
    }
    return items;
  };
  return {
    idempotency: new DynamoIdempotencyStore({ client, ...tables }),
    work: new DynamoUnitOfWork({ client, ...tables }),
    cancellations: new DynamoCancellationStore({ client, ...tables }),
    audit: new DynamoAuditLog({ client, auditTable: tables.auditTable }),
    completedOutcomes: async () =>
      (await scan(tables.idempotencyTable))
        .filter((item) => item.status?.S === "COMPLETED" && item.outcome?.S !== undefined)
        .map((item) => ({
          scopeKey: item.scopeKey?.S ?? "",
          outcome: JSON.parse(item.outcome?.S ?? "null"),
        })),
    // Commit order: time, then ULID (both from the model's clock and a monotonic factory).
    allRecords: async () =>
      (await scan(tables.auditTable))
        .map(fromAuditItem)
        .sort((a, b) => (a.at === b.at ? (a.id < b.id ? -1 : 1) : a.at < b.at ? -1 : 1)),
    close: () => tables.drop(),
  };
};

const RUNS = Number(process.env.LIFECYCLE_MODEL_DYNAMO_RUNS ?? 12);

describe("the cancellation lifecycle, as a model, on DynamoDB Local", () => {
  it(`keeps every invariant over ${RUNS} random worlds (reduced run)`, async () => {
    await fc.assert(lifecycleProperty(dynamoStores, ulidIds, { waves: 2, jobsPerWave: 3 }), {
      numRuns: RUNS,
    });
  }, 600_000);
});
