/**
 * Suite 8's largest items (../capacity.ts): every item of the idempotency and audit tables
 * read back and sized by DynamoDB's rules, the largest of each kind (its key's prefix) kept
 * with the write units one write of it costs. Its siblings: per-cancel-writes.ts (writes per
 * cancel), budget-ring-items.ts (the budget's ring items).
 */
import { type AttributeValue, type DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { itemSize } from "../../support/dynamo-item-size.ts";

export type LargestItems = Record<string, { bytes: number; wcu: number }>;

/** Each kind's largest item, keyed `idempotency:<prefix>` or `audit:<prefix>`. */
export const largestItems = async (
  dynamo: DynamoDBClient,
  tables: { idempotency: string; audit: string },
): Promise<LargestItems> => {
  const largest: LargestItems = {};
  for (const [table, full] of [
    ["idempotency", tables.idempotency],
    ["audit", tables.audit],
  ] as const) {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamo.send(new ScanCommand({ TableName: full, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) {
        const kind = `${table}:${(item.pk?.S ?? "?").split("#")[0]}`;
        const bytes = itemSize(item);
        if (bytes > (largest[kind]?.bytes ?? 0)) largest[kind] = { bytes, wcu: Math.ceil(bytes / 1024) };
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }
  return largest;
};
