import type { FunctionDefinition, Trigger } from "../functions/manifest/manifest-types.ts";
import type { Storage } from "./storage.ts";

type StreamTrigger = Extract<Trigger, { kind: "dynamodb-stream" }>;

/**
 * A DynamoDB stream trigger, as the outbox relay has (docs/decisions/0002-outbox-relay.md):
 * an event source mapping with partial batch responses, bisecting on function errors,
 * bounded retries and age, and an on-failure queue (what Lambda gives up on: the records'
 * place in the stream, not the records). Its settings are the manifest entry's.
 */
export function connectStream(
  fn: FunctionDefinition & { trigger: StreamTrigger },
  handler: sst.aws.Function,
  deps: { storage: Storage; failures: sst.aws.Queue },
) {
  const { mapping: settings, table } = fn.trigger;
  return new aws.lambda.EventSourceMapping(`${fn.name}Stream`, {
    eventSourceArn: deps.storage[table].nodes.table.streamArn,
    functionName: handler.arn,
    ...settings,
    functionResponseTypes: [...settings.functionResponseTypes],
    destinationConfig: { onFailure: { destinationArn: deps.failures.arn } },
  });
}
