/**
 * What a function's answer to one batch of the local DynamoDB stream mapping means, as Lambda
 * reads a `ReportBatchItemFailures` response. The mapping is local/stack/dynamo-stream-source.ts;
 * stream-batch-delivery.ts acts on the outcome read here.
 */
import type { _Record } from "@aws-sdk/client-dynamodb-streams";

/** What one invocation's answer means for the batch. */
export type InvokeOutcome =
  | { kind: "success" }
  | { kind: "partial"; fromIndex: number }
  | { kind: "invalid-response"; reason: string }
  | { kind: "function-error"; error: unknown };

/**
 * What a `ReportBatchItemFailures` answer means. Success: no answer, no list, an empty
 * list. Retry from the lowest failed sequence number. A list item without a usable
 * `itemIdentifier` (empty, null, misnamed, not in the batch) fails the whole batch.
 */
export const readBatchResponse = (response: unknown, records: readonly _Record[]): InvokeOutcome => {
  if (response === undefined || response === null || typeof response !== "object") return { kind: "success" };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: "success" };
  if (!Array.isArray(failures))
    return { kind: "invalid-response", reason: "batchItemFailures is not a list" };
  if (failures.length === 0) return { kind: "success" };
  const sequence = records.map((record) => record.dynamodb?.SequenceNumber);
  let lowest: number | undefined;
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== "string" || id === "") {
      return { kind: "invalid-response", reason: "an itemIdentifier is empty or missing" };
    }
    const index = sequence.indexOf(id);
    if (index === -1) return { kind: "invalid-response", reason: `itemIdentifier ${id} is not in the batch` };
    lowest = lowest === undefined ? index : Math.min(lowest, index);
  }
  return { kind: "partial", fromIndex: lowest ?? 0 };
};
