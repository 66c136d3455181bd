/**
 * Realistic Lambda payloads for the handler tests: API Gateway HTTP API (payload 2.0)
 * requests, signed ones included, EventBridge `Cancel Requested` and scheduled events,
 * and a Lambda `Context` with a chosen time budget.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { APIGatewayProxyEventV2, Context, EventBridgeEvent, ScheduledEvent } from "aws-lambda";
import { signRequest } from "#adapters/http/request-signature.ts";
import { httpApiRawPath } from "#local/stack/api-gateway-event.ts";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";

export interface HttpEventInput {
  method: string;
  /**
   * The path, optionally with `?query`, exactly as the client sent it (encoded). The event
   * carries it the way API Gateway HTTP APIs do: `rawPath` decoded, `rawQueryString` as sent.
   */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  sourceIp?: string;
}

/**
 * A payload-2.0 event on the `$default` route, as AWS fills it: header names lower-cased,
 * `rawPath` percent-decoded (the same emulation as the local front door), the query as sent.
 */
export const apiGatewayV2Event = (input: HttpEventInput): APIGatewayProxyEventV2 => {
  const queryAt = input.path.indexOf("?");
  const rawPath = httpApiRawPath(queryAt === -1 ? input.path : input.path.slice(0, queryAt));
  const rawQueryString = queryAt === -1 ? "" : input.path.slice(queryAt + 1);
  const headers: Record<string, string> = {
    host: "abc123.execute-api.us-east-1.amazonaws.com",
    "user-agent": "handler-tests/1.0",
  };
  for (const [name, value] of Object.entries(input.headers ?? {})) headers[name.toLowerCase()] = value;
  if (input.body !== undefined && headers["content-type"] === undefined) {
    headers["content-type"] = "application/json";
  }
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  }
  const timeEpoch = Date.now();
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString,
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: ACCOUNT,
      apiId: "abc123",
      domainName: headers.host ?? "",
      domainPrefix: "abc123",
      http: {
        method: input.method.toUpperCase(),
        path: rawPath,
        protocol: "HTTP/1.1",
        sourceIp: input.sourceIp ?? "203.0.113.10",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomBytes(10).toString("base64"),
      routeKey: "$default",
      stage: "$default",
      time: new Date(timeEpoch).toUTCString(),
      timeEpoch,
    },
    ...(input.body === undefined ? {} : { body: input.body }),
    isBase64Encoded: false,
  };
};

export interface SignedEventInput extends HttpEventInput {
  app: { appId: string; secret: string };
  /** Epoch ms put in X-Timestamp; defaults to now. */
  timestampMs?: number;
}

/**
 * A request signed as docs/signing.md says (X-App-Id / X-Timestamp / X-Signature over method,
 * path and query, timestamp and raw body), with `signRequest` — the service's own signer —
 * over the path as the client sends it; the event then carries it decoded, as AWS would.
 */
export const signedRequest = (input: SignedEventInput): APIGatewayProxyEventV2 => {
  const signature = signRequest(
    { appId: input.app.appId, appSecret: input.app.secret },
    { method: input.method, pathAndQuery: input.path, body: input.body ?? "" },
    input.timestampMs ?? Date.now(),
  );
  return apiGatewayV2Event({ ...input, headers: { ...signature, ...input.headers } });
};

/** A `Cancel Requested` event as EventBridge delivers it to the bus handler. */
export const eventBridgeEvent = (
  detail: unknown,
  overrides: Partial<EventBridgeEvent<"Cancel Requested", unknown>> = {},
): EventBridgeEvent<"Cancel Requested", unknown> => ({
  version: "0",
  id: randomUUID(),
  "detail-type": "Cancel Requested",
  source: "storefront.orders",
  account: ACCOUNT,
  time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
  region: REGION,
  resources: [],
  detail,
  ...overrides,
});

/** What an EventBridge schedule rule (no input transformer) delivers. */
export const scheduledEvent = (): ScheduledEvent => ({
  version: "0",
  id: randomUUID(),
  "detail-type": "Scheduled Event",
  source: "aws.events",
  account: ACCOUNT,
  time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
  region: REGION,
  resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/cancellation-expiry-sweep`],
  detail: {},
});

export interface LambdaContextOptions {
  /** What `getRemainingTimeInMillis()` starts from. Default 10 s (the HTTP function's timeout). */
  remainingMs?: number;
  functionName?: string;
}

/** A Lambda `Context` whose remaining time runs down with the wall clock. */
export const lambdaContext = (options: LambdaContextOptions = {}): Context => {
  const functionName = options.functionName ?? "cancellation-service-test";
  const deadline = Date.now() + (options.remainingMs ?? 10_000);
  const legacy = (): never => {
    throw new Error("legacy callback API: return a promise instead");
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: "512",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2026/01/01/[$LATEST]${randomUUID().replaceAll("-", "")}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: legacy,
    fail: legacy,
    succeed: legacy,
  };
};
