/**
 * Every item a Query returns, page after page (the SDK's own paginator), up to a limit: for
 * the service's own reads (a job's manifest chunks, its item results, the due jobs), where no
 * caller holds a cursor (query-page.ts is the listing a caller pages through, one page a call).
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  paginateQuery,
  type QueryCommandInput,
} from "@aws-sdk/client-dynamodb";
import { type StoreName, storeUnavailable } from "./dynamo-errors.ts";

export const queryAll = async (
  client: DynamoDBClient,
  store: StoreName,
  input: QueryCommandInput,
  limit: number,
): Promise<Record<string, AttributeValue>[]> => {
  const items: Record<string, AttributeValue>[] = [];
  try {
    for await (const page of paginateQuery({ client }, input)) {
      items.push(...(page.Items ?? []));
      if (items.length >= limit) break;
    }
  } catch (error) {
    throw storeUnavailable(store, "Query", error);
  }
  return items.slice(0, limit);
};
