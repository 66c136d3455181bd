/**
 * `node bench/simulation/dynamo-local-cpu.ts [requests]`: DynamoDB Local's CPU per request
 * (the JVM's user + system time from /proc, Linux only) under the write mix a cancel sends
 * (a key's conditional PutItem, a budget ring's ADD, a transition's TransactWriteItems with
 * its audit record), from a fresh JVM, 8 callers at once: once with the JVM's default flags
 * (-Xmx512m alone, as before), once with the launcher's JVM_OPTIONS, back to back. Its figures
 * are the reason for JVM_OPTIONS (local/dynamo-local/launcher.ts). It also prints this process's
 * CPU per request: what the SDK's client costs a caller (the local stack's containers pay it).
 */
import { readFileSync } from "node:fs";
import {
  DynamoDBClient,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { auditTable, idempotencyTable } from "#adapters/dynamo/table-definitions.ts";
import { JVM_OPTIONS, launchDynamoLocal } from "#local/dynamo-local/launcher.ts";
import { freePort } from "#local/free-port.ts";
import { createTable } from "#local/stack/tables.ts";

const CALLERS = 8;

const cpuMsOf = (pid: number): number => {
  const fields = (readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1] ?? "").split(" ");
  // utime and stime, in clock ticks (100 a second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

const measure = async (label: string, jvmOptions: readonly string[], cancels: number): Promise<void> => {
  const jvm = await launchDynamoLocal({ port: await freePort(), startTimeoutMs: 60_000, jvmOptions });
  try {
    const client = new DynamoDBClient({
      endpoint: jvm.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const keys = "bench-idempotency";
    const audit = "bench-audit";
    await createTable(client, idempotencyTable, keys);
    await createTable(client, auditTable, audit);
    const cancel = async (i: number): Promise<void> => {
      const pk = { S: `INTENT#${i}` };
      await client.send(
        new PutItemCommand({
          TableName: keys,
          Item: { pk, sk: { S: "KEY" }, state: { S: "TAKEN" }, version: { N: "1" } },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      await client.send(
        new UpdateItemCommand({
          TableName: keys,
          Key: { pk: { S: "BUDGET#bench" }, sk: { S: `SLOT#${i % 7}` } },
          UpdateExpression: "ADD used :one",
          ExpressionAttributeValues: { ":one": { N: "1" } },
        }),
      );
      await client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Update: {
                TableName: keys,
                Key: { pk, sk: { S: "KEY" } },
                UpdateExpression: "SET #state = :done, version = version + :one",
                ConditionExpression: "version = :one",
                ExpressionAttributeNames: { "#state": "state" },
                ExpressionAttributeValues: { ":done": { S: "DONE" }, ":one": { N: "1" } },
              },
            },
            { Put: { TableName: audit, Item: { pk, sk: { S: `AUDIT#${i}` }, event: { S: "cancelled" } } } },
          ],
        }),
      );
    };
    const pid = jvm.pid as number;
    const before = cpuMsOf(pid);
    const callerBefore = process.cpuUsage();
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        while (next < cancels) await cancel(next++);
      }),
    );
    const cpuMs = cpuMsOf(pid) - before;
    const caller = process.cpuUsage(callerBefore);
    const callerMs = (caller.user + caller.system) / 1000;
    const requests = cancels * 3;
    console.log(
      `${label}: ${requests} requests in ${Date.now() - started} ms; JVM CPU ${cpuMs} ms, ` +
        `${(cpuMs / requests).toFixed(2)} ms a request; the caller's (AWS SDK v3, Node) ` +
        `${(callerMs / requests).toFixed(2)} ms a request`,
    );
    client.destroy();
  } finally {
    await jvm.stop();
  }
};

const cancels = Number(process.argv[2] ?? 10_000);
await measure("default JVM (-Xmx512m)", ["-Xmx512m"], cancels);
await measure(`JVM_OPTIONS (${JVM_OPTIONS.join(" ")})`, JVM_OPTIONS, cancels);
