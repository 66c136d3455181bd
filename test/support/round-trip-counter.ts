/**
 * Counts the HTTP round trips an AWS SDK v3 client makes, per command.
 *
 * The middleware sits in the `deserialize` step, inside the retry middleware (which lives
 * in `finalizeRequest`), so it runs once per HTTP attempt: an SDK retry counts as another
 * round trip, as it is one.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";

export interface RoundTripCounter {
  /** Round trips since attach or the last reset. */
  total(): number;
  /** Round trips of one command, e.g. `"PutItemCommand"`. */
  of(commandName: string): number;
  /** `{ PutItemCommand: 1, TransactWriteItemsCommand: 1 }` */
  byCommand(): Record<string, number>;
  reset(): void;
  /** Removes the middleware from the client. */
  detach(): void;
}

let counters = 0;

export const countRoundTrips = (client: DynamoDBClient): RoundTripCounter => {
  const counts = new Map<string, number>();
  counters += 1;
  const name = `roundTripCounter${counters}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? "unknown";
      counts.set(command, (counts.get(command) ?? 0) + 1);
      return next(args);
    },
    { step: "deserialize", priority: "low", name },
  );
  return {
    total: () => [...counts.values()].reduce((sum, count) => sum + count, 0),
    of: (commandName) => counts.get(commandName) ?? 0,
    byCommand: () => Object.fromEntries(counts),
    reset: () => counts.clear(),
    detach: () => {
      client.middlewareStack.remove(name);
    },
  };
};
