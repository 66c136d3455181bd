/**
 * The service's two tables on DynamoDB Local, created from the same definitions as the
 * deployed ones (functions/adapters/dynamo/table-definitions.ts) when they are missing.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import {
  auditTable,
  createTableInput,
  idempotencyTable,
  type TableDefinition,
  timeToLiveInput,
} from "#adapters/dynamo/table-definitions.ts";

/** Physical table names of the local stack. */
export const LOCAL_TABLES = {
  idempotency: "cancellation-local-idempotency",
  audit: "cancellation-local-audit",
} as const;

const status = async (client: DynamoDBClient, name: string): Promise<string | undefined> => {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    return Table?.TableStatus;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
};

/** Creates a table from its definition, waits until it is ACTIVE, then turns on its TTL. */
export const createTable = async (
  client: DynamoDBClient,
  definition: TableDefinition,
  name: string,
): Promise<void> => {
  await client.send(new CreateTableCommand(createTableInput(definition, name)));
  for (let poll = 0; poll < 200 && (await status(client, name)) !== "ACTIVE"; poll += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const ttl = timeToLiveInput(definition, name);
  if (ttl !== undefined) await client.send(new UpdateTimeToLiveCommand(ttl));
};

const ensureTable = async (
  client: DynamoDBClient,
  definition: TableDefinition,
  name: string,
): Promise<boolean> => {
  if ((await status(client, name)) !== undefined) return false;
  await createTable(client, definition, name);
  return true;
};

/**
 * Creates whichever of the two tables is missing.
 *
 * @returns the names of the tables it created (empty when both existed)
 */
export const ensureLocalTables = async (endpoint: string): Promise<string[]> => {
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  try {
    const created: string[] = [];
    if (await ensureTable(client, idempotencyTable, LOCAL_TABLES.idempotency))
      created.push(LOCAL_TABLES.idempotency);
    if (await ensureTable(client, auditTable, LOCAL_TABLES.audit)) created.push(LOCAL_TABLES.audit);
    return created;
  } finally {
    client.destroy();
  }
};
