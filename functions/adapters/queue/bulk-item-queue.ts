/**
 * Bulk items on the `Cancel Requested` work queue: each item a message shaped like the
 * events the rule delivers (`id`, `source`, `detail-type`, `detail`), so the one consumer
 * reads both and tells them apart by `detail-type`. Only the bulk driver sends these (the
 * rule admits `Cancel Requested` alone), ten per SendMessageBatch call.
 */
import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import * as v from "valibot";
import type { BulkItemMessage, BulkWorkQueue } from "#core/bulk-ports.ts";
import { cancelRequestedSchema } from "../events/cancel-requested-schema.ts";
import { describeIssues, type FieldIssue, safeParseConfig } from "../validation/describe-issues.ts";
import { RedeliveryError } from "./queue-errors.ts";

export const BULK_ITEM_DETAIL_TYPE = "Bulk Cancellation Item";
export const BULK_ITEM_SOURCE = "cancellation-service.bulk";

/** SendMessageBatch takes ten messages a call. */
const BATCH = 10;

/** The message id of an item: the same item sent again (after a crash) has the same id. */
export const bulkItemMessageId = (message: Pick<BulkItemMessage, "jobId" | "index">): string =>
  `bulk-${message.jobId}-${message.index}`;

export const bulkItemBody = (message: BulkItemMessage, now: Date): string =>
  JSON.stringify({
    id: bulkItemMessageId(message),
    source: BULK_ITEM_SOURCE,
    "detail-type": BULK_ITEM_DETAIL_TYPE,
    time: now.toISOString(),
    detail: message,
  });

export class SqsBulkWorkQueue implements BulkWorkQueue {
  readonly #client: SQSClient;
  readonly #queueUrl: string;

  constructor(options: { client: SQSClient; queueUrl: string }) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
  }

  /** @throws RedeliveryError when SQS did not take every message (the checkpoint is then not written). */
  async send(messages: readonly BulkItemMessage[]): Promise<void> {
    const now = new Date();
    const calls: Promise<void>[] = [];
    for (let start = 0; start < messages.length; start += BATCH) {
      const batch = messages.slice(start, start + BATCH);
      calls.push(
        this.#client
          .send(
            new SendMessageBatchCommand({
              QueueUrl: this.#queueUrl,
              Entries: batch.map((message, i) => ({
                Id: String(i),
                MessageBody: bulkItemBody(message, now),
              })),
            }),
          )
          .then((output) => {
            if ((output.Failed ?? []).length > 0) {
              throw new RedeliveryError(
                `SQS refused ${output.Failed?.length} bulk item messages (${output.Failed?.[0]?.Code ?? "?"})`,
              );
            }
          }),
      );
    }
    try {
      await Promise.all(calls);
    } catch (error) {
      if (error instanceof RedeliveryError) throw error;
      throw new RedeliveryError(`Could not send bulk items to the work queue: ${(error as Error).name}`, {
        cause: error,
      });
    }
  }
}

const bulkItemDetailSchema = v.object({
  jobId: v.pipe(v.string(), v.uuid("must be a UUID")),
  index: v.pipe(v.number(), v.integer("must be an integer"), v.minValue(0, "must be 0 or more")),
  target: cancelRequestedSchema.entries.target,
  reason: cancelRequestedSchema.entries.reason,
  actor: v.pipe(
    v.string(),
    v.minLength(1, "must not be empty"),
    v.maxLength(256, "must be at most 256 characters"),
  ),
});

export type BulkItemParse = { ok: true; value: BulkItemMessage } | { ok: false; issues: FieldIssue[] };

export const parseBulkItemDetail = (detail: unknown): BulkItemParse => {
  const result = v.safeParse(bulkItemDetailSchema, detail, safeParseConfig);
  return result.success
    ? { ok: true, value: result.output as BulkItemMessage }
    : { ok: false, issues: describeIssues(result.issues) };
};
