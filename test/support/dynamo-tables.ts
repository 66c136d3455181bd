/**
 * DynamoDB clients and per-test-file tables for tests on DynamoDB Local.
 */
import { randomUUID } from "node:crypto";
import { DeleteTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { auditTable, idempotencyTable } from "#adapters/dynamo/table-definitions.ts";
import { createTable } from "#local/stack/tables.ts";

export interface LocalClientOptions {
  /** SDK attempts per call, first included; small so an outage fails fast. Default 2. */
  maxAttempts?: number;
  /** Default 500 ms: DynamoDB Local is on loopback. */
  connectionTimeoutMs?: number;
  /** Default 5 s. */
  requestTimeoutMs?: number;
}

/** A client for DynamoDB Local: fake credentials, us-east-1, few attempts and short timeouts. */
export const createLocalDynamoClient = (endpoint: string, options: LocalClientOptions = {}): DynamoDBClient =>
  new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: options.maxAttempts ?? 2,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 500,
      requestTimeout: options.requestTimeoutMs ?? 5_000,
    },
  });

export interface TestTables {
  idempotencyTable: string;
  auditTable: string;
  /** Deletes both tables. */
  drop(): Promise<void>;
}

/**
 * Creates the service's two tables under names unique to this call, so test files
 * sharing one DynamoDB Local never see each other's items.
 *
 * @param prefix - e.g. the test file's name; characters DynamoDB refuses are replaced
 */
export const createTestTables = async (client: DynamoDBClient, prefix: string): Promise<TestTables> => {
  const stem = `${prefix.replace(/[^a-zA-Z0-9_.-]/g, "-").slice(0, 80)}-${randomUUID().slice(0, 8)}`;
  const names = { idempotencyTable: `${stem}-idempotency`, auditTable: `${stem}-audit` };
  await Promise.all([
    createTable(client, idempotencyTable, names.idempotencyTable),
    createTable(client, auditTable, names.auditTable),
  ]);
  return {
    ...names,
    drop: async () => {
      await Promise.all(
        [names.idempotencyTable, names.auditTable].map((TableName) =>
          client.send(new DeleteTableCommand({ TableName })),
        ),
      );
    },
  };
};
