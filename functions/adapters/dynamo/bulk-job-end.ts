/**
 * The end of a bulk job written with its last item's result (bulk-items.ts `endingWrites`):
 * which write of a result's transaction refused, and the job's end as read now. Shared by
 * the job store (an item's own result) and the unit of work (a result written with the
 * continuation's transition).
 */
import { type AttributeValue, type DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { type JobEnd, jobEndWith } from "#core/bulk-item-result.ts";
import type { BulkItemFinish } from "#core/bulk-ports.ts";
import { bulkPartitionOf, fromJobItem, JOB_SORT_KEY } from "./bulk-items.ts";
import { cancellationReasons, storeUnavailable } from "./dynamo-errors.ts";

/**
 * Writes of an item's result that may find the job moved on since it was read (a checkpoint,
 * the driver's look, a stop, another result): after this many the message is retried. The
 * first is the plain result; each later one is refused only if another writer moved the job
 * between its read and its write, so 8 outlast six such writes in a row (bulk-job-store.test:
 * five in a row, which 5 did not).
 */
export const RESULT_ATTEMPTS = 8;

/** Which write of a refused transaction failed its condition first, if one did. */
export const refusedWrite = (error: unknown): number | undefined => {
  const index = cancellationReasons(error)?.findIndex((reason) => reason.Code === "ConditionalCheckFailed");
  return index === undefined || index < 0 ? undefined : index;
};

/** The end a result brings its job, read now (strongly consistent): undefined when it brings none. */
export const jobEndFor = async (
  client: DynamoDBClient,
  table: string,
  finish: BulkItemFinish,
): Promise<JobEnd | undefined> => {
  let item: Record<string, AttributeValue> | undefined;
  try {
    const output = await client.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: bulkPartitionOf(finish.jobId) }, sk: { S: JOB_SORT_KEY } },
        ConsistentRead: true,
      }),
    );
    item = output.Item;
  } catch (error) {
    throw storeUnavailable("bulk-jobs", "GetItem (the job a result may end)", error);
  }
  return item === undefined ? undefined : jobEndWith(fromJobItem(item), finish);
};
