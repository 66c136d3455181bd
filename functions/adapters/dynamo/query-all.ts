/**
 * Every item a Query returns, page after page, up to a limit: for the service's own reads
 * (a job's manifest chunks, its item results, the due jobs), where no caller holds a cursor
 * (query-page.ts is the listing a caller pages through).
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from "@aws-sdk/client-dynamodb";
import { type StoreName, storeUnavailable } from "./dynamo-errors.ts";

export const queryAll = async (
  client: DynamoDBClient,
  store: StoreName,
  input: QueryCommandInput,
  limit: number,
): Promise<Record<string, AttributeValue>[]> => {
  const items: Record<string, AttributeValue>[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    let output: QueryCommandOutput;
    try {
      output = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    } catch (error) {
      throw storeUnavailable(store, "Query", error);
    }
    items.push(...(output.Items ?? []));
    startKey = output.LastEvaluatedKey;
  } while (startKey && items.length < limit);
  return items.slice(0, limit);
};
