/**
 * The two doors into the local bus:
 *
 * - the EventBridge service endpoint (`EVENTBRIDGE_ENDPOINT`), speaking the AWS JSON 1.1
 *   protocol the SDK's `PutEventsCommand` sends (`POST`, `X-Amz-Target:
 *   AWSEvents.PutEvents`, `Content-Type: application/x-amz-json-1.1`), so the service's
 *   real EventBridge client publishes here unchanged. Errors use the protocol's
 *   `{__type, message}` body so the SDK raises the named exception. The request's SigV4
 *   signature is not checked: the credentials are fake anyway.
 * - `POST /events`, the same PutEvents body as plain JSON, for people and scripts.
 */

import type { Invoker } from "./lambda/invoker.ts";
import type { LocalEventBus } from "./local-event-bus.ts";
import { PutEventsValidationError } from "./put-events-request.ts";
import type { LocalSqs } from "./sqs/local-sqs.ts";

/** The path of the EventBridge endpoint on the local HTTP server (the SDK appends a slash). */
export const EVENTBRIDGE_PATH = "/__aws/eventbridge";

export const AWS_JSON_CONTENT_TYPE = "application/x-amz-json-1.1";
export const PUT_EVENTS_TARGET = "AWSEvents.PutEvents";

export interface EndpointAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const awsError = (status: number, type: string, message: string): EndpointAnswer => ({
  status,
  headers: { "content-type": AWS_JSON_CONTENT_TYPE, "x-amzn-errortype": type },
  body: JSON.stringify({ __type: type, message }),
});

/** True for the EventBridge endpoint's path, with or without the SDK's trailing slash. */
export const isEventBridgePath = (path: string): boolean =>
  path === EVENTBRIDGE_PATH || path === `${EVENTBRIDGE_PATH}/`;

/**
 * Answers one AWS JSON 1.1 request to the EventBridge endpoint.
 *
 * @param target - the `X-Amz-Target` header
 */
export const answerAwsJson = (
  bus: LocalEventBus,
  method: string,
  target: string | undefined,
  body: string,
): EndpointAnswer => {
  if (method !== "POST") return awsError(405, "UnknownOperationException", "Only POST is supported.");
  if (target !== PUT_EVENTS_TARGET) {
    return awsError(400, "UnknownOperationException", `The local bus supports ${PUT_EVENTS_TARGET} only.`);
  }
  let request: unknown;
  try {
    request = JSON.parse(body);
  } catch {
    return awsError(400, "SerializationException", "The request body is not valid JSON.");
  }
  const fate = bus.faults.next();
  if (fate === "unavailable") return awsError(503, "ServiceUnavailableException", "The local bus is down.");
  if (fate === "internal-error") return awsError(500, "InternalException", "Injected internal error.");
  if (fate === "throttled") return throttledAnswer(request);
  try {
    const result = bus.putEvents(request, "service");
    return { status: 200, headers: { "content-type": AWS_JSON_CONTENT_TYPE }, body: JSON.stringify(result) };
  } catch (error) {
    if (error instanceof PutEventsValidationError) return awsError(400, "ValidationException", error.message);
    throw error;
  }
};

/** Every entry refused as throttled: what EventBridge answers when a caller exceeds its quota. */
const throttledAnswer = (request: unknown): EndpointAnswer => {
  const entries = (request as { Entries?: unknown }).Entries;
  const count = Array.isArray(entries) ? entries.length : 0;
  return {
    status: 200,
    headers: { "content-type": AWS_JSON_CONTENT_TYPE },
    body: JSON.stringify({
      FailedEntryCount: count,
      Entries: Array.from({ length: count }, () => ({
        ErrorCode: "ThrottlingException",
        ErrorMessage: "Injected throttling.",
      })),
    }),
  };
};

/** Answers `POST /events` (a PutEvents body as plain JSON). */
export const answerPutEvents = (bus: LocalEventBus, body: string): EndpointAnswer => {
  const json = (status: number, value: unknown): EndpointAnswer => ({
    status,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(value),
  });
  let request: unknown;
  try {
    request = JSON.parse(body);
  } catch {
    return json(400, {
      message: "The body must be JSON: {Entries: [{Source, DetailType, Detail, EventBusName}]}",
    });
  }
  try {
    return json(200, bus.putEvents(request, "client"));
  } catch (error) {
    if (error instanceof PutEventsValidationError) return json(400, { message: error.message });
    throw error;
  }
};

const parsedBody = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
};

/**
 * Answers `GET /events`: what the service published, the state of every queue, the messages
 * in the dead-letter queues (each with its source queue), events no rule target took, and
 * each function's containers and invocations.
 */
export const answerListEvents = (
  bus: LocalEventBus,
  sqs: LocalSqs,
  functions: readonly Invoker[] = [],
  relayFailures?: readonly unknown[],
): EndpointAnswer => ({
  status: 200,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({
    published: bus.published().map((stored) => ({ eventBusName: stored.eventBusName, ...stored.event })),
    queues: sqs.list().map((queue) => ({ name: queue.name, url: queue.url, ...queue.counts() })),
    deadLetters: sqs.deadLetterQueues().flatMap((dlq) =>
      dlq.messages().map((message) => ({
        queue: dlq.name,
        sourceQueue: sqs.list().find((q) => q.arn === message.deadLetterQueueSourceArn)?.name,
        messageId: message.messageId,
        receiveCount: message.receiveCount,
        sentAt: message.sentAt,
        body: parsedBody(message.body),
      })),
    ),
    undeliverable: bus.undeliverable(),
    ...(relayFailures !== undefined && { relayFailures }),
    functions: functions.map((fn) => {
      const { initMs: _init, ...stats } = fn.stats();
      return { name: fn.spec.name, ...stats };
    }),
  }),
});
