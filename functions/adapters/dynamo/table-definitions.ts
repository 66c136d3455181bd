/**
 * The two DynamoDB tables of the service, described once as data so that `npm start`
 * (DynamoDB Local), the tests and the SST infrastructure create exactly the same tables.
 *
 * The shape of {@link TableDefinition} is the one `sst.aws.Dynamo` takes (`fields`,
 * `primaryIndex`, `globalIndexes`, `ttl`), so infra can pass a definition as is;
 * {@link createTableInput} and {@link timeToLiveInput} turn it into the DynamoDB API
 * requests for everything else.
 */
import type {
  AttributeDefinition,
  CreateTableCommandInput,
  GlobalSecondaryIndex,
  KeySchemaElement,
  UpdateTimeToLiveCommandInput,
} from "@aws-sdk/client-dynamodb";

export type FieldType = "string" | "number" | "binary";

export interface IndexDefinition {
  hashKey: string;
  rangeKey?: string;
}

export interface TableDefinition {
  /** Only the attributes used by a key or an index. */
  fields: Readonly<Record<string, FieldType>>;
  primaryIndex: IndexDefinition;
  globalIndexes?: Readonly<Record<string, IndexDefinition & { projection: "all" | "keys-only" }>>;
  /** Attribute holding the expiry in epoch seconds; DynamoDB deletes expired items lazily. */
  ttl?: string;
}

/**
 * Idempotency keys and pending asynchronous intent cancels share one table.
 *
 * - key of a scope key: `pk = IDEMPOTENCY#<scopeKey>`, `sk = KEY`; attributes `status`
 *   (IN_PROGRESS | COMPLETED), `payloadHash`, `lockToken`, `lockUntil` (epoch ms),
 *   `attempt`, `startedAt`, `outcome` (JSON), `completedAt`, `expiresAt` (TTL, epoch s).
 * - pending cancel: `pk = PENDING`, `sk = INTENT#<intentId>`, listed with one Query on
 *   `pk = PENDING`. It has no `expiresAt`: a pending cancel must never vanish unresolved.
 *   All pending items share one partition; they are few (PROCESSING intents waiting for
 *   Procure-Core), far below a partition's throughput.
 */
export const idempotencyTable = {
  fields: { pk: "string", sk: "string" },
  primaryIndex: { hashKey: "pk", rangeKey: "sk" },
  ttl: "expiresAt",
} as const satisfies TableDefinition;

/**
 * Append-only audit records.
 *
 * - `pk = TARGET#<type>#<id>`, `sk = <ISO time>#<ULID>`: one target's trail in time order.
 * - index `byDay`: `gsi1pk = DAY#YYYY-MM-DD` (UTC), `gsi1sk = <ISO time>#<ULID>`: every
 *   record of a day, for reconciliation.
 */
export const auditTable = {
  fields: { pk: "string", sk: "string", gsi1pk: "string", gsi1sk: "string" },
  primaryIndex: { hashKey: "pk", rangeKey: "sk" },
  globalIndexes: { byDay: { hashKey: "gsi1pk", rangeKey: "gsi1sk", projection: "all" } },
} as const satisfies TableDefinition;

export const AUDIT_BY_DAY_INDEX = "byDay";

/** Key of the item holding one scope key's idempotency state. */
export const idempotencyKeyOf = (scopeKey: string): { pk: string; sk: string } => ({
  pk: `IDEMPOTENCY#${scopeKey}`,
  sk: "KEY",
});

export const PENDING_PARTITION = "PENDING";

/** Key of the item recording one intent's pending asynchronous cancel. */
export const pendingKeyOf = (intentId: string): { pk: string; sk: string } => ({
  pk: PENDING_PARTITION,
  sk: `INTENT#${intentId}`,
});

const ATTRIBUTE_TYPES = { string: "S", number: "N", binary: "B" } as const;

const keySchemaOf = (index: IndexDefinition): KeySchemaElement[] => [
  { AttributeName: index.hashKey, KeyType: "HASH" },
  ...(index.rangeKey === undefined ? [] : [{ AttributeName: index.rangeKey, KeyType: "RANGE" as const }]),
];

/**
 * The `CreateTable` request for a definition (on-demand billing).
 *
 * @param definition - {@link idempotencyTable} or {@link auditTable}
 * @param tableName - the physical name, e.g. a per-stage or per-test-file name
 */
export const createTableInput = (definition: TableDefinition, tableName: string): CreateTableCommandInput => {
  const attributeDefinitions: AttributeDefinition[] = Object.entries(definition.fields).map(
    ([name, type]) => ({ AttributeName: name, AttributeType: ATTRIBUTE_TYPES[type] }),
  );
  const globalIndexes: GlobalSecondaryIndex[] = Object.entries(definition.globalIndexes ?? {}).map(
    ([name, index]) => ({
      IndexName: name,
      KeySchema: keySchemaOf(index),
      Projection: { ProjectionType: index.projection === "all" ? "ALL" : "KEYS_ONLY" },
    }),
  );
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: attributeDefinitions,
    KeySchema: keySchemaOf(definition.primaryIndex),
    ...(globalIndexes.length > 0 ? { GlobalSecondaryIndexes: globalIndexes } : {}),
  };
};

/**
 * The `UpdateTimeToLive` request enabling the definition's TTL attribute, or `undefined`
 * when the table has none. TTL is set after `CreateTable`: the API has no TTL field there.
 */
export const timeToLiveInput = (
  definition: TableDefinition,
  tableName: string,
): UpdateTimeToLiveCommandInput | undefined =>
  definition.ttl === undefined
    ? undefined
    : { TableName: tableName, TimeToLiveSpecification: { AttributeName: definition.ttl, Enabled: true } };
