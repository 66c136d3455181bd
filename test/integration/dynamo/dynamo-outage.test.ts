import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoAuditLog } from "#adapters/dynamo/audit-log.ts";
import { DynamoCancellationStore } from "#adapters/dynamo/cancellation-store.ts";
import { DynamoIdempotencyStore } from "#adapters/dynamo/idempotency-store.ts";
import { StoreUnavailableError } from "#core/errors.ts";
import { type DynamoLocal, startDynamoLocal } from "#test/support/dynamo-local.ts";
import { createLocalDynamoClient, createTestTables, type TestTables } from "#test/support/dynamo-tables.ts";
import { countRoundTrips } from "#test/support/round-trip-counter.ts";
import { auditRecord, T0, uniqueScopeKey } from "./fixtures.ts";

/** Resolves how a TCP connection attempt ended. */
const tryConnect = (host: string, port: number): Promise<"connected" | string> =>
  new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2_000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve("timeout");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });

// A private instance: stopping the shared one would break every other test file.
describe("DynamoDB adapters when DynamoDB Local goes away", () => {
  let local: DynamoLocal;
  let client: DynamoDBClient;
  let tables: TestTables;

  beforeAll(async () => {
    local = await startDynamoLocal();
    client = createLocalDynamoClient(local.endpoint, {
      maxAttempts: 2,
      connectionTimeoutMs: 300,
      requestTimeoutMs: 1_000,
    });
    tables = await createTestTables(client, "outage");
  });

  afterAll(async () => {
    client?.destroy();
    await local?.stop();
  });

  it("listens on 127.0.0.1 only", async () => {
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address !== undefined && !address.internal && address.family === "IPv4")
      .map((address) => address?.address ?? "");

    expect(await tryConnect("127.0.0.1", local.port)).toBe("connected");
    for (const address of others) expect(await tryConnect(address, local.port)).toBe("ECONNREFUSED");
  });

  it("fails closed and fast with StoreUnavailableError once DynamoDB stops", async () => {
    // Prepare: the store works, then DynamoDB Local is stopped mid-test.
    const store = new DynamoIdempotencyStore({ client, ...tables });
    const audit = new DynamoAuditLog({ client, auditTable: tables.auditTable });
    const cancellations = new DynamoCancellationStore({ client, ...tables });
    const working = await store.begin({
      scopeKey: uniqueScopeKey("up"),
      payload: {},
      now: T0,
      lockUntil: T0 + 30_000,
    });
    expect(working.kind).toBe("acquired");
    await local.stop();
    const counter = countRoundTrips(client);

    // Act
    const started = performance.now();
    const failure = await store
      .begin({ scopeKey: uniqueScopeKey("down"), payload: {}, now: T0, lockUntil: T0 + 30_000 })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    const elapsedMs = performance.now() - started;

    // Assess
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as StoreUnavailableError).store).toBe("idempotency");
    expect((failure as StoreUnavailableError).cause).toBeInstanceOf(Error);
    expect(elapsedMs).toBeLessThan(3_000);
    // Each SDK attempt is a round trip the counter sees: the counter counts retries too.
    expect(counter.byCommand()).toStrictEqual({ PutItemCommand: 2 });
    await expect(audit.append(auditRecord())).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(audit.byTarget({ type: "intent", id: "x" })).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(cancellations.due(T0)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(cancellations.get("order", "x")).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
