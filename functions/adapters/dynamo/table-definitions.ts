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
  /** The table's change stream and what each record carries. */
  stream?: "keys-only" | "new-image" | "old-image" | "new-and-old-images";
}

/**
 * Idempotency keys and cancellations (the durable lifecycle records) share one table.
 *
 * - key of a scope key: `pk = IDEMPOTENCY#<scopeKey>`, `sk = KEY`; attributes `status`
 *   (IN_PROGRESS | COMPLETED | RELEASED), `payloadHash`, `lockToken`, `lockUntil` (epoch ms),
 *   `attempt`, `startedAt`, `outcome` (JSON), `completedAt`, `expiresAt` (TTL, epoch s).
 *   A single cancel's key, while IN_PROGRESS, also holds `recovery` (JSON: the cancel and
 *   who asked) with `dueKey = ATTEMPT` and `nextCheckAt` (its lock's end plus a grace, epoch
 *   ms), which put it in `byNextCheck` too: the continuation finishes an attempt that never
 *   completed from there. Completing or releasing the key removes all three.
 * - cancellation: `pk = CANCELLATION#order#<owner>#<orderId>` (`CANCELLATION#order#<orderId>`
 *   for an order cancelled before owners were recorded) or `CANCELLATION#<intent|charge>#<id>`,
 *   `sk = STATE` ({@link cancellationKeyOf}); its state machine
 *   (functions/core/cancellation.ts) with a `version` every transition is conditional on.
 *   While it is not final it carries `dueKey = DUE` and `nextCheckAt` (epoch ms), which put
 *   it in the sparse index `byNextCheck` the continuation reads oldest-due first; the final
 *   transition removes both. All open cancellations share one index partition: they are
 *   few (orders and PROCESSING intents waiting), far below a partition's throughput.
 * - upstream budget: `pk = BUDGET#<upstream>#<client>`, `sk = RING`; `slots` (the send
 *   times of the last N requests, functions/adapters/budget/budget-ring-store.ts) and
 *   `expiresAt` (TTL).
 */
export const idempotencyTable = {
  fields: { pk: "string", sk: "string", dueKey: "string", nextCheckAt: "number" },
  primaryIndex: { hashKey: "pk", rangeKey: "sk" },
  globalIndexes: { byNextCheck: { hashKey: "dueKey", rangeKey: "nextCheckAt", projection: "all" } },
  ttl: "expiresAt",
} as const satisfies TableDefinition;

export const CANCELLATIONS_DUE_INDEX = "byNextCheck";

/** `dueKey` of every open cancellation: its partition of the `byNextCheck` index. */
export const DUE_PARTITION = "DUE";

/** `dueKey` of every single cancel's key in progress: the other partition of the `byNextCheck` index. */
export const ATTEMPTS_PARTITION = "ATTEMPT";

/**
 * Append-only audit records.
 *
 * - `pk = TARGET#<type>#<id>`, `sk = <ISO time>#<ULID>`: one target's trail in time order; an
 *   order's is its owner's, `TARGET#order#<owner>#<orderId>` (audit-item.ts, `auditPartitionOf`).
 * - index `byDay`: `gsi1pk = DAY#YYYY-MM-DD#<shard>` (UTC; 16 shards by a hash of the record
 *   id, audit-item.ts; `DAY#YYYY-MM-DD` for records written before the shards), `gsi1sk =
 *   <ISO time>#<ULID>`: every record of a day, for reconciliation.
 * - stream (new images): the transactional outbox. A record whose `event` is set is an
 *   outcome event to publish; the outbox relay reads it from the stream.
 */
export const auditTable = {
  fields: { pk: "string", sk: "string", gsi1pk: "string", gsi1sk: "string" },
  primaryIndex: { hashKey: "pk", rangeKey: "sk" },
  globalIndexes: { byDay: { hashKey: "gsi1pk", rangeKey: "gsi1sk", projection: "all" } },
  stream: "new-image",
} as const satisfies TableDefinition;

export const AUDIT_BY_DAY_INDEX = "byDay";

/** Key of the item holding one scope key's idempotency state. */
export const idempotencyItemKey = (scopeKey: string): { pk: string; sk: string } => ({
  pk: `IDEMPOTENCY#${scopeKey}`,
  sk: "KEY",
});

export const PENDING_PARTITION = "PENDING";

/** Key of the item recording one intent's pending asynchronous cancel. */
export const pendingKeyOf = (intentId: string): { pk: string; sk: string } => ({
  pk: PENDING_PARTITION,
  sk: `INTENT#${intentId}`,
});

/** Key of the item holding the shared request budget of one upstream client. */
export const budgetKeyOf = (upstream: string, client: string): { pk: string; sk: string } => ({
  pk: `BUDGET#${upstream}#${client}`,
  sk: "RING",
});

/**
 * Key of the item holding one order's or one single cancel's lifecycle. Order ids are each
 * client's own, so an order's key holds its owner: `CANCELLATION#order#<owner>#<orderId>`
 * (an order id never holds `#`, so the last one ends the owner). `owner` undefined: an order
 * cancelled before owners were recorded, `CANCELLATION#order#<orderId>`. An intent or a charge
 * is the upstream's, one per id whoever asks: `CANCELLATION#<intent|charge>#<id>`.
 */
export const cancellationKeyOf = (
  kind: "order" | "intent" | "charge",
  id: string,
  owner?: string,
): { pk: string; sk: string } => ({
  pk:
    kind === "order" && owner !== undefined
      ? `CANCELLATION#order#${owner}#${id}`
      : `CANCELLATION#${kind}#${id}`,
  sk: "STATE",
});

const ATTRIBUTE_TYPES = { string: "S", number: "N", binary: "B" } as const;

const STREAM_VIEW_TYPES = {
  "keys-only": "KEYS_ONLY",
  "new-image": "NEW_IMAGE",
  "old-image": "OLD_IMAGE",
  "new-and-old-images": "NEW_AND_OLD_IMAGES",
} as const;

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
    ...(definition.stream !== undefined && {
      StreamSpecification: { StreamEnabled: true, StreamViewType: STREAM_VIEW_TYPES[definition.stream] },
    }),
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
