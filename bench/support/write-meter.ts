/**
 * Measures what a DynamoDB client writes: every write command is sent with
 * `ReturnConsumedCapacity: INDEXES`, and the meter adds up the write units DynamoDB (Local)
 * reports per table and per index, the items written by kind (the prefix of their `pk`:
 * IDEMPOTENCY, CANCELLATION, BUDGET, TARGET for audit records, …), and the conditional
 * writes refused. A refused conditional write reports no capacity, yet DynamoDB charges it
 * as a write of the existing item (at least 1 unit): the meter charges it from the item the
 * refusal returns (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), when there is one.
 *
 * Written for the capacity suite (bench/suites/capacity.ts); DynamoDB Local does not throttle,
 * so this measures what would be consumed, not what a partition would allow.
 */
import type { AttributeValue, ConsumedCapacity, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { itemSize } from "./dynamo-item-size.ts";

const WRITES = new Set([
  "PutItemCommand",
  "UpdateItemCommand",
  "DeleteItemCommand",
  "TransactWriteItemsCommand",
  "BatchWriteItemCommand",
]);

type Item = Record<string, AttributeValue>;

export interface WriteTally {
  /** Items written, by `<table>:<kind>` (kind: the `pk` up to its first `#`). */
  items: Record<string, number>;
  /** Write units reported, by table and by `<table>/<index>`. */
  units: Record<string, number>;
  /** Of those, the units of single-item writes (PutItem, UpdateItem, DeleteItem), by `<table>:<kind>` and `<table>:<kind>/<index>`. */
  unitsByKind: Record<string, number>;
  /** Conditional writes refused, by `<table>:<kind>`, and the units they cost (from the item they returned). */
  refused: Record<string, number>;
  refusedUnits: Record<string, number>;
  calls: number;
}

export interface WriteMeter {
  tally(): WriteTally;
  reset(): void;
  detach(): void;
}

const kindOf = (key: Item | undefined): string => (key?.pk?.S ?? "?").split("#")[0] ?? "?";

/** Every item a write command's input touches, with its table. */
const touched = (command: string, input: Record<string, unknown>): { table: string; key?: Item }[] => {
  if (command === "TransactWriteItemsCommand") {
    const items = (input.TransactItems ?? []) as Record<
      string,
      { TableName: string; Item?: Item; Key?: Item }
    >[];
    return items.flatMap((entry) =>
      Object.entries(entry)
        .filter(([operation]) => operation !== "ConditionCheck")
        .map(([, op]) => ({ table: op.TableName, key: op.Item ?? op.Key })),
    );
  }
  if (command === "BatchWriteItemCommand") {
    const requests = (input.RequestItems ?? {}) as Record<
      string,
      { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]
    >;
    return Object.entries(requests).flatMap(([table, writes]) =>
      writes.map((write) => ({ table, key: write.PutRequest?.Item ?? write.DeleteRequest?.Key })),
    );
  }
  return [{ table: input.TableName as string, key: (input.Item ?? input.Key) as Item | undefined }];
};

let meters = 0;

/** Attaches the meter; `tableName` turns a table's full name into the name the tally uses. */
export const meterWrites = (client: DynamoDBClient, tableName: (full: string) => string): WriteMeter => {
  let tally: WriteTally;
  const reset = () => {
    tally = { items: {}, units: {}, unitsByKind: {}, refused: {}, refusedUnits: {}, calls: 0 };
  };
  reset();
  const add = (record: Record<string, number>, key: string, value: number) => {
    record[key] = (record[key] ?? 0) + value;
  };
  const addCapacity = (capacity: ConsumedCapacity, kind: string | undefined) => {
    const table = tableName(capacity.TableName ?? "?");
    const units = capacity.Table?.CapacityUnits ?? capacity.CapacityUnits ?? 0;
    add(tally.units, table, units);
    if (kind !== undefined) add(tally.unitsByKind, `${table}:${kind}`, units);
    for (const [index, consumed] of Object.entries(capacity.GlobalSecondaryIndexes ?? {})) {
      add(tally.units, `${table}/${index}`, consumed.CapacityUnits ?? 0);
      if (kind !== undefined)
        add(tally.unitsByKind, `${table}:${kind}/${index}`, consumed.CapacityUnits ?? 0);
    }
  };
  meters += 1;
  const name = `writeMeter${meters}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? "";
      if (!WRITES.has(command)) return next(args);
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity = "INDEXES";
      const items = touched(command, input);
      tally.calls += 1;
      try {
        const result = await next(args);
        for (const { table, key } of items) add(tally.items, `${tableName(table)}:${kindOf(key)}`, 1);
        const consumed = (result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] })
          .ConsumedCapacity;
        const single = items.length === 1 && !command.startsWith("Transact") && !command.startsWith("Batch");
        for (const capacity of [consumed ?? []].flat())
          addCapacity(capacity, single ? kindOf(items[0]?.key) : undefined);
        return result;
      } catch (error) {
        const refusal = error as { name?: string; Item?: Item };
        if (
          refusal.name === "ConditionalCheckFailedException" ||
          refusal.name === "TransactionCanceledException"
        ) {
          for (const { table, key } of items) {
            const where = `${tableName(table)}:${kindOf(key)}`;
            add(tally.refused, where, 1);
            if (refusal.Item)
              add(tally.refusedUnits, where, Math.max(1, Math.ceil(itemSize(refusal.Item) / 1024)));
          }
        }
        throw error;
      }
    },
    { step: "initialize", name },
  );
  return {
    tally: () => structuredClone(tally),
    reset,
    detach: () => {
      client.middlewareStack.remove(name);
    },
  };
};
