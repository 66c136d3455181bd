/**
 * Controls for the take-versus-begin ratio of suite 1 (issue 21 asks for the budget's take to
 * cost no more than `begin`'s PutItem). Measured on the same DynamoDB Local and client, in
 * turns, right after the handler's rounds: what a PutItem of `begin`'s shape costs, what the
 * cheapest UpdateItem costs (no condition, an item of one number), and the same UpdateItem on an
 * item that also holds 72 numbers, as a ring item does (ADR 0008). The gap between the last two
 * is what DynamoDB Local spends reading and rewriting the ring's times.
 *
 * Then the take itself, taken apart: the step (the form nearly every take has at 10,000 a minute,
 * built by ring-take-request.ts as the budget sends it) on a full ring item of 4,000 slots in
 * buckets of 56, as sent (condition, four SET actions, `UPDATED_NEW`), without its condition, and
 * answering nothing. Each control item is put back untimed before its counts would leave the
 * step's reach. What the condition and the answer cost is what the guarantees of ADR 0008 need
 * in one round trip (the condition is the ring's rule; the answer tells the taker to repair).
 */
import { randomUUID } from "node:crypto";
import {
  type AttributeValue,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { takeRequestOf } from "#adapters/budget/ring-take-request.ts";
import { median } from "./stats.ts";

export interface WriteControls {
  /** p50 in ms of each control, by name. */
  p50: {
    beginShapedPut: number;
    bareUpdate: number;
    bareUpdateOfRingSizedItem: number;
    stepAsSent: number;
    stepWithoutCondition: number;
    stepAnsweringNothing: number;
  };
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

/** The suite's Procure-Core interactive ring at 10,000 a minute (share 0.6): 4,000 slots in buckets of 56. */
const STEP_RING = { slots: 4_000, bucket: 56 };
/** The step's reach: `tailCount < 2G − 1`. The item is put back before its takes reach it. */
const STEPS_PER_ITEM = 2 * STEP_RING.bucket - 2;

/** A full ring item far from any bucket's edge, so that every step in reach is allowed. */
const stepRingItem = (key: Record<string, AttributeValue>): Record<string, AttributeValue> => ({
  ...key,
  slots: number(STEP_RING.slots),
  bucket: number(STEP_RING.bucket),
  bucketTimes: { L: Array.from({ length: TIMES_IN_A_FULL_RING }, (_, index) => number(1 + index)) },
  headLeft: number(1_000_000),
  tailCount: number(0),
  newest: number(0),
  expiresAt: number(Math.floor(Date.now() / 1000) + 3_600),
});

/** Keeps only the names and values `expressions` use: DynamoDB refuses a request that declares others. */
const usedOnly = <T>(entries: Record<string, T>, expressions: string): Record<string, T> =>
  Object.fromEntries(
    Object.entries(entries).filter(([name]) =>
      new RegExp(`${name.replace(/[#:]/, "\\$&")}(?![A-Za-z0-9_])`).test(expressions),
    ),
  );

type StepVariant = "asSent" | "withoutCondition" | "answeringNothing";

/** The budget's step at `t`, on the control ring, as `variant` says. */
const step = (
  table: string,
  key: Record<string, AttributeValue>,
  t: number,
  variant: StepVariant,
): UpdateItemCommand => {
  const request = takeRequestOf({
    t,
    priority: "interactive",
    cutoff: t - 61_000,
    size: STEP_RING,
    form: { kind: "step" },
    borrowing: false,
    backgroundActiveSince: t - 10_000,
    expiresAt: Math.floor(t / 1000) + 86_400,
  });
  const withoutCondition = variant === "withoutCondition";
  const expressions = withoutCondition
    ? request.UpdateExpression
    : `${request.UpdateExpression} ${request.ConditionExpression}`;
  return new UpdateItemCommand({
    TableName: table,
    Key: key,
    UpdateExpression: request.UpdateExpression,
    ...(withoutCondition ? {} : { ConditionExpression: request.ConditionExpression }),
    ExpressionAttributeNames: usedOnly(request.ExpressionAttributeNames, expressions),
    ExpressionAttributeValues: usedOnly(request.ExpressionAttributeValues, expressions),
    ReturnValues: variant === "answeringNothing" ? "NONE" : "UPDATED_NEW",
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  });
};

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
  const stepKeys: Record<StepVariant, Record<string, AttributeValue>> = {
    asSent: { pk: { S: `CONTROL#${randomUUID()}` }, sk: { S: "RING" } },
    withoutCondition: { pk: { S: `CONTROL#${randomUUID()}` }, sk: { S: "RING" } },
    answeringNothing: { pk: { S: `CONTROL#${randomUUID()}` }, sk: { S: "RING" } },
  };
  const stepsTaken: Record<StepVariant, number> = { asSent: 0, withoutCondition: 0, answeringNothing: 0 };
  // Times rise with every step (`newest <= t`), whichever control takes it.
  let clock = Date.now();
  /** Puts the control ring back (untimed) before its steps would leave the step's reach. */
  const readyStep = async (variant: StepVariant): Promise<void> => {
    if (stepsTaken[variant] % STEPS_PER_ITEM !== 0) return;
    await client.send(new PutItemCommand({ TableName: table, Item: stepRingItem(stepKeys[variant]) }));
  };
  const stepOf = (variant: StepVariant) => {
    stepsTaken[variant]++;
    return client.send(step(table, stepKeys[variant], ++clock, variant));
  };
  const kinds = {
    beginShapedPut: () => client.send(beginShapedPut(table)),
    bareUpdate: () => client.send(bareUpdate(table, tiny)),
    bareUpdateOfRingSizedItem: () => client.send(bareUpdate(table, ringSized)),
    stepAsSent: () => stepOf("asSent"),
    stepWithoutCondition: () => stepOf("withoutCondition"),
    stepAnsweringNothing: () => stepOf("answeringNothing"),
  };
  const variantOf: Partial<Record<keyof typeof kinds, StepVariant>> = {
    stepAsSent: "asSent",
    stepWithoutCondition: "withoutCondition",
    stepAnsweringNothing: "answeringNothing",
  };
  const samples: Record<keyof typeof kinds, number[]> = {
    beginShapedPut: [],
    bareUpdate: [],
    bareUpdateOfRingSizedItem: [],
    stepAsSent: [],
    stepWithoutCondition: [],
    stepAnsweringNothing: [],
  };
  const order = Object.keys(kinds) as (keyof typeof kinds)[];
  for (let round = 0; round < rounds; round++) {
    // Rotate which goes first, so none always follows the same command.
    for (let turn = 0; turn < order.length; turn++) {
      const kind = order[(round + turn) % order.length] as keyof typeof kinds;
      const variant = variantOf[kind];
      if (variant) await readyStep(variant);
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
      stepAsSent: median(samples.stepAsSent),
      stepWithoutCondition: median(samples.stepWithoutCondition),
      stepAnsweringNothing: median(samples.stepAnsweringNothing),
    },
    samples: rounds,
  };
};
