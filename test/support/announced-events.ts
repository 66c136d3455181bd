/**
 * What the outbox will publish: every announcing audit record (one whose `event` is set)
 * of a test's audit table, turned into its outcome event with the same pure function the
 * relay uses. Lets a handler test assert "this outcome is announced, once" without
 * running the stream relay; the relay's own tests prove the stream-to-bus half.
 */
import { type DynamoDBClient, paginateScan } from "@aws-sdk/client-dynamodb";
import { fromAuditItem } from "#adapters/dynamo/audit-item.ts";
import { outcomeEventOf } from "#core/outcome-events.ts";
import type { OutcomeEvent } from "#core/ports.ts";

/** Announced events of the table, in commit order (time, then record id). */
export const readAnnouncedEvents = async (
  client: DynamoDBClient,
  auditTable: string,
): Promise<OutcomeEvent[]> => {
  const records = [];
  for await (const page of paginateScan({ client }, { TableName: auditTable, ConsistentRead: true })) {
    for (const item of page.Items ?? []) records.push(fromAuditItem(item));
  }
  records.sort((a, b) => (a.at === b.at ? (a.id < b.id ? -1 : 1) : a.at < b.at ? -1 : 1));
  return records.flatMap((record) => outcomeEventOf(record) ?? []);
};
