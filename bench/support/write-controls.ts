/**
 * Controls for the take-versus-begin ratio of suite 1 (issue 21 asks for the budget's take to
 * cost no more than `begin`'s PutItem). Measured on the same DynamoDB Local and client, in
 * turns, right after the handler's rounds: what a PutItem of `begin`'s shape costs, what the
 * cheapest UpdateItem costs (no condition, an item of one number), and the same UpdateItem on an
 * item that also holds 72 numbers, as a ring item does (ADR 0008). The gap between the last two
 * is what DynamoDB Local spends reading and rewriting the ring's times; the take's own condition
 * is the rest of its gap to `begin`.
 */
import { randomUUID } from "node:crypto";
import {
  type AttributeValue,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { median } from "./stats.ts";

export interface WriteControls {
  /** p50 in ms of each control, by name. */
  p50: { beginShapedPut: number; bareUpdate: number; bareUpdateOfRingSizedItem: number };
  samples: number;
}

const TIMES_IN_A_FULL_RING = 72;

const number = (value: number): AttributeValue => ({ N: String(value) });

/** A PutItem like `begin`'s: a new key, the same attributes and condition (idempotency-key-item.ts). */
const beginShapedPut = (table: string): PutItemCommand => {
  const now = Date.now();
  const hash = "0".repeat(64);
  return new PutItemCommand({
    TableName: table,
    Item: {
      pk: { S: `CONTROL#${randomUUID()}` },
      sk: { S: "KEY" },
      scopeKey: { S: `http:bench:${randomUUID()}` },
      status: { S: "IN_PROGRESS" },
      payloadHash: { S: hash },
      lockToken: { S: randomUUID() },
      lockUntil: number(now + 30_000),
      attempt: number(1),
      startedAt: { S: new Date(now).toISOString() },
      expiresAt: number(Math.floor(now / 1000) + 3_600),
    },
    ConditionExpression:
      "attribute_not_exists(#pk) OR #expiresAt <= :nowSeconds OR " +
      "(#status = :inProgress AND #lockUntil <= :now AND #payloadHash = :payloadHash) OR " +
      "(#status = :released AND #payloadHash = :payloadHash)",
    ExpressionAttributeNames: {
      "#pk": "pk",
      "#expiresAt": "expiresAt",
      "#status": "status",
      "#lockUntil": "lockUntil",
      "#payloadHash": "payloadHash",
    },
    ExpressionAttributeValues: {
      ":nowSeconds": number(Math.floor(now / 1000)),
      ":now": number(now),
      ":inProgress": { S: "IN_PROGRESS" },
      ":released": { S: "RELEASED" },
      ":payloadHash": { S: hash },
    },
    ReturnValues: "ALL_OLD",
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  });
};

const bareUpdate = (table: string, key: Record<string, AttributeValue>): UpdateItemCommand =>
  new UpdateItemCommand({
    TableName: table,
    Key: key,
    UpdateExpression: "SET #n = #n + :one",
    ExpressionAttributeNames: { "#n": "n" },
    ExpressionAttributeValues: { ":one": number(1) },
  });

export const measureWriteControls = async (
  client: DynamoDBClient,
  table: string,
  rounds: number,
): Promise<WriteControls> => {
  const tiny = { pk: { S: `CONTROL#${randomUUID()}` }, sk: { S: "RING" } };
  const ringSized = { pk: { S: `CONTROL#${randomUUID()}` }, sk: { S: "RING" } };
  const ringTimes = Array.from({ length: TIMES_IN_A_FULL_RING }, (_, index) => number(Date.now() + index));
  await client.send(new PutItemCommand({ TableName: table, Item: { ...tiny, n: number(0) } }));
  await client.send(
    new PutItemCommand({
      TableName: table,
      Item: { ...ringSized, n: number(0), bucketTimes: { L: ringTimes } },
    }),
  );
  const kinds = {
    beginShapedPut: () => client.send(beginShapedPut(table)),
    bareUpdate: () => client.send(bareUpdate(table, tiny)),
    bareUpdateOfRingSizedItem: () => client.send(bareUpdate(table, ringSized)),
  };
  const samples: Record<keyof typeof kinds, number[]> = {
    beginShapedPut: [],
    bareUpdate: [],
    bareUpdateOfRingSizedItem: [],
  };
  const order = Object.keys(kinds) as (keyof typeof kinds)[];
  for (let round = 0; round < rounds; round++) {
    // Rotate which goes first, so none always follows the same command.
    for (let turn = 0; turn < order.length; turn++) {
      const kind = order[(round + turn) % order.length] as keyof typeof kinds;
      const started = performance.now();
      await kinds[kind]();
      samples[kind].push(performance.now() - started);
    }
  }
  return {
    p50: {
      beginShapedPut: median(samples.beginShapedPut),
      bareUpdate: median(samples.bareUpdate),
      bareUpdateOfRingSizedItem: median(samples.bareUpdateOfRingSizedItem),
    },
    samples: rounds,
  };
};
