/**
 * The writes that start a bulk job's item and mark it pending (layout: bulk-items.ts, which
 * also has an item's final result and the job's end), as the inputs bulk-job-store.ts sends.
 */
import type { AttributeValue, TransactWriteItem, UpdateItemCommandInput } from "@aws-sdk/client-dynamodb";
import type { ItemOutcomeSummary } from "#core/bulk-ports.ts";
import { bulkPartitionOf, itemSortKey, JOB_SORT_KEY } from "./bulk-items.ts";

export const bulkItemKey = (jobId: string, index: number): Record<string, AttributeValue> => ({
  pk: { S: bulkPartitionOf(jobId) },
  sk: { S: itemSortKey(index) },
});

/** The job's `started` and `inFlight` counts, conditional on the job RUNNING, with the item's put, conditional on it being absent. */
export const startWrites = (
  table: string,
  jobId: string,
  index: number,
  at: string,
  expiresAt: AttributeValue,
): TransactWriteItem[] => [
  {
    Update: {
      TableName: table,
      Key: { pk: { S: bulkPartitionOf(jobId) }, sk: { S: JOB_SORT_KEY } },
      UpdateExpression: "ADD #started :one, #inFlight :one",
      ConditionExpression: "#state = :running",
      ExpressionAttributeNames: { "#started": "started", "#inFlight": "inFlight", "#state": "state" },
      ExpressionAttributeValues: { ":one": { N: "1" }, ":running": { S: "RUNNING" } },
    },
  },
  {
    Put: {
      TableName: table,
      Item: { ...bulkItemKey(jobId, index), status: { S: "RUNNING" }, startedAt: { S: at }, expiresAt },
      ConditionExpression: "attribute_not_exists(pk)",
    },
  },
];

/** A running item marked PENDING with its outcome so far (refused once it is final or was never started). */
export const pendingUpdate = (
  table: string,
  jobId: string,
  index: number,
  summary: ItemOutcomeSummary,
): UpdateItemCommandInput => ({
  TableName: table,
  Key: bulkItemKey(jobId, index),
  UpdateExpression: "SET #status = :pending, #outcome = :summary",
  ConditionExpression: "#status = :running",
  ExpressionAttributeNames: { "#status": "status", "#outcome": "outcome" },
  ExpressionAttributeValues: {
    ":pending": { S: "PENDING" },
    ":running": { S: "RUNNING" },
    ":summary": { S: JSON.stringify(summary) },
  },
});
