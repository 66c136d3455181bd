/**
 * A bulk job's manifest on DynamoDB (layout: bulk-items.ts): written in chunks of
 * `MANIFEST_SLICE` entries before the job itself (BatchWriteItem, 25 items a call, its
 * unprocessed items sent again with a backoff), read back by index range.
 */
import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from "@aws-sdk/client-dynamodb";
import { type BulkJob, MANIFEST_SLICE, type ManifestEntry } from "#core/bulk-job.ts";
import { bulkPartitionOf, expiresAtOf, manifestSortKey } from "./bulk-items.ts";
import { storeUnavailable } from "./dynamo-errors.ts";
import { queryAll } from "./query-all.ts";

/** BatchWriteItem takes 25 items a call. */
const BATCH = 25;
const UNPROCESSED_ATTEMPTS = 8;

/** Writes the job's manifest chunks (they expire with the job). */
export const writeManifest = async (
  client: DynamoDBClient,
  table: string,
  job: BulkJob,
  manifest: readonly ManifestEntry[],
): Promise<void> => {
  const expiresAt = { N: expiresAtOf(job) };
  const puts: WriteRequest[] = [];
  for (let chunk = 0; chunk * MANIFEST_SLICE < manifest.length; chunk++) {
    const entries = manifest.slice(chunk * MANIFEST_SLICE, (chunk + 1) * MANIFEST_SLICE);
    puts.push({
      PutRequest: {
        Item: {
          pk: { S: bulkPartitionOf(job.id) },
          sk: { S: manifestSortKey(job.manifest.id, chunk) },
          entries: { S: JSON.stringify(entries) },
          expiresAt,
        },
      },
    });
  }
  await Promise.all(
    Array.from({ length: Math.ceil(puts.length / BATCH) }, (_, i) =>
      batchWrite(client, table, puts.slice(i * BATCH, (i + 1) * BATCH)),
    ),
  );
};

const batchWrite = async (client: DynamoDBClient, table: string, requests: WriteRequest[]): Promise<void> => {
  let pending = requests;
  for (let attempt = 1; pending.length > 0; attempt++) {
    if (attempt > UNPROCESSED_ATTEMPTS) {
      throw storeUnavailable("bulk-jobs", "BatchWriteItem (items left unprocessed)", undefined);
    }
    if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * 2 ** attempt));
    try {
      const output = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
      pending = output.UnprocessedItems?.[table] ?? [];
    } catch (error) {
      throw storeUnavailable("bulk-jobs", "BatchWriteItem", error);
    }
  }
};

/** The manifest's entries `from` (inclusive) to `to` (exclusive), from the chunks that hold them. */
export const readManifest = async (
  client: DynamoDBClient,
  table: string,
  job: BulkJob,
  from: number,
  to: number,
): Promise<ManifestEntry[]> => {
  if (from >= to) return [];
  const first = Math.floor(from / MANIFEST_SLICE);
  const last = Math.floor((to - 1) / MANIFEST_SLICE);
  const items = await queryAll(
    client,
    "bulk-jobs",
    {
      TableName: table,
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :first AND :last",
      ExpressionAttributeValues: {
        ":pk": { S: bulkPartitionOf(job.id) },
        ":first": { S: manifestSortKey(job.manifest.id, first) },
        ":last": { S: manifestSortKey(job.manifest.id, last) },
      },
      ConsistentRead: true,
    },
    Number.POSITIVE_INFINITY,
  );
  if (items.length !== last - first + 1) {
    throw storeUnavailable(
      "bulk-jobs",
      `Query (manifest chunks ${first}-${last} of job ${job.id} missing)`,
      undefined,
    );
  }
  const entries = items.flatMap((item) => JSON.parse(item.entries?.S ?? "[]") as ManifestEntry[]);
  const offset = first * MANIFEST_SLICE;
  return entries.slice(from - offset, to - offset);
};
