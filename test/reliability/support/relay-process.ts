/**
 * The outbox relay in a process of its own, as `npm start` runs it: the local event
 * source mapping on the audit table's stream (checkpoint under `stateDir`) invoking the
 * exported relay handler, which publishes to `EVENTBRIDGE_ENDPOINT`. The reliability suite
 * kills it with SIGKILL in the middle of a batch and starts another on the same state.
 *
 *   node relay-process.ts <dynamoEndpoint> <auditTable> <stateDir>
 *
 * Prints "relay ready" once polling; SIGTERM stops it gracefully; it exits when its
 * parent's IPC channel closes, so it never outlives the test.
 */
import { startDynamoStreamSource } from "#local/stack/start-dynamo-stream-source.ts";
import { lambdaContext } from "#test/support/lambda-events.ts";

const [endpoint = "", tableName = "", stateDir = ""] = process.argv.slice(2);
const { handler } = await import("#handlers/outbox-relay.ts");
const source = await startDynamoStreamSource({
  endpoint,
  tableName,
  stateDir,
  invoke: (event) => handler(event, lambdaContext({ remainingMs: 60_000, functionName: "outbox-relay" })),
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write("relay ready\n");
const stop = async (): Promise<void> => {
  await source.stop(5_000);
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("disconnect", () => void stop());
