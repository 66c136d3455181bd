/**
 * The service's stores on tables of their own for one test file, on DynamoDB Local: made before
 * the file's tests, dropped after them (even when a test fails). Read the fields inside tests,
 * not at the top level: they are set in `beforeAll`.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, inject } from "vitest";
import { DynamoCancellationStore } from "#adapters/dynamo/cancellation-store.ts";
import { DynamoIdempotencyStore } from "#adapters/dynamo/idempotency-store.ts";
import { DynamoUnitOfWork } from "#adapters/dynamo/unit-of-work.ts";
import { createLocalDynamoClient, createTestTables, type TestTables } from "#test/support/dynamo-tables.ts";

export interface DynamoStores {
  client: DynamoDBClient;
  tables: TestTables;
  keys: DynamoIdempotencyStore;
  cancellations: DynamoCancellationStore;
  work: DynamoUnitOfWork;
}

export const useDynamoStores = (name: string): DynamoStores => {
  const stores = {} as DynamoStores;
  beforeAll(async () => {
    const client = createLocalDynamoClient(inject("dynamoEndpoint"));
    const tables = await createTestTables(client, name);
    Object.assign(stores, {
      client,
      tables,
      keys: new DynamoIdempotencyStore({ client, ...tables }),
      cancellations: new DynamoCancellationStore({ client, ...tables }),
      work: new DynamoUnitOfWork({ client, ...tables }),
    });
  });
  afterAll(async () => {
    await stores.tables?.drop();
    stores.client?.destroy();
  });
  return stores;
};
