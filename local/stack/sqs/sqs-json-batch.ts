/**
 * SQS's batch calls on the local endpoint (sqs-json-endpoint.ts: SendMessageBatch,
 * DeleteMessageBatch, ChangeMessageVisibilityBatch): the rules for the batch as a whole, and
 * each entry's own success or failure.
 */
import {
  batchEntryIdsNotDistinct,
  emptyBatchRequest,
  invalidBatchEntryId,
  SqsError,
  tooManyEntriesInBatchRequest,
} from "./sqs-errors.ts";
import { type Json, list } from "./sqs-json-fields.ts";

/** What SQS allows as a batch entry's `Id`. */
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * Runs each entry of a batch call; a failing entry is reported, the others go on. A batch
 * that is malformed as a whole (no entries, more than 10, ids SQS does not allow or that
 * repeat) is refused whole, as SQS refuses it.
 */
export const runBatch = (
  request: Json,
  run: (entry: Json) => Json,
): { Successful: Json[]; Failed: Json[] } => {
  const entries = list(request, "Entries") as Json[];
  if (entries.length === 0) throw emptyBatchRequest();
  if (entries.length > 10) throw tooManyEntriesInBatchRequest(entries.length);
  const ids = entries.map((entry) => entry.Id);
  if (ids.some((id) => typeof id !== "string" || !BATCH_ENTRY_ID.test(id))) throw invalidBatchEntryId();
  const repeated = ids.find((id, index) => ids.indexOf(id) !== index);
  if (repeated !== undefined) throw batchEntryIdsNotDistinct(String(repeated));
  const result = { Successful: [] as Json[], Failed: [] as Json[] };
  for (const entry of entries) {
    try {
      result.Successful.push({ Id: entry.Id, ...run(entry) });
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      result.Failed.push({ Id: entry.Id, SenderFault: true, Code: error.code, Message: error.message });
    }
  }
  return result;
};
