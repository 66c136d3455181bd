/**
 * The one local HTTP server (127.0.0.1): API Gateway for the HTTP API handler, plus the
 * local-only routes.
 *
 *   POST /events                 PutEvents JSON → the local bus (Cancel Requested → the work queue)
 *   GET  /events                 published outcome events, the queues, their dead letters
 *   POST /<route>                run a scheduled function now (`/sweep`, …; `{"dryRun": true}`
 *                                optional); NDJSON answer: its progress, then its result
 *   POST /__aws/eventbridge      the EventBridge endpoint the service's SDK client publishes to
 *   POST (X-Amz-Target: AmazonSQS.*)  the SQS endpoint (sqs/sqs-json-endpoint.ts), on any path
 *   anything else                an API Gateway v2 event for the HTTP API function
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import {
  fromHandlerResult,
  type HttpAnswer,
  INTERNAL_SERVER_ERROR,
  toApiGatewayEvent,
} from "./api-gateway-event.ts";
import type { Invoker } from "./lambda/invoker.ts";
import type { LocalEventBus } from "./local-event-bus.ts";
import {
  answerAwsJson,
  answerListEvents,
  answerPutEvents,
  type EndpointAnswer,
  isEventBridgePath,
} from "./put-events-endpoint.ts";
import type { ScheduleRunner } from "./schedule-runner.ts";
import type { LocalSqs } from "./sqs/local-sqs.ts";
import { answerSqsJson, isSqsRequest } from "./sqs/sqs-json-endpoint.ts";
import type { SweepStreamLine } from "./sweep-messages.ts";

/** API Gateway HTTP APIs refuse bodies over 10 MB. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface FrontDoorOptions {
  /** The HTTP API function. */
  http: Invoker;
  bus: LocalEventBus;
  sqs: LocalSqs;
  /** Scheduled functions by the route that runs them now, e.g. `/sweep`. */
  schedules: Readonly<Record<string, ScheduleRunner>>;
  log: (line: string) => void;
  /** One line per HTTP API request (default on; off for load runs). */
  logRequests?: boolean;
  /** Every function, for the counts `GET /events` shows. */
  functions?: readonly Invoker[];
  /** What the outbox relay's stream source gave up on (its failure queue), shown by `GET /events`. */
  relayFailures?: () => readonly unknown[];
}

export interface RunningFrontDoor {
  url: string;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage): Promise<Buffer | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });

const sendAnswer = (res: ServerResponse, answer: EndpointAnswer | HttpAnswer): void => {
  if ("statusCode" in answer) {
    res.writeHead(answer.statusCode, answer.headers);
    res.end(answer.body);
  } else {
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }
};

/** API Gateway's request ids look like `JKJaXmPLvHcESHA=`. */
const apiGatewayRequestId = (): string => randomBytes(10).toString("base64");

const parseScheduleRequest = (body: string): { dryRun: boolean } | undefined => {
  if (body.trim() === "") return { dryRun: false };
  try {
    const value: unknown = JSON.parse(body);
    if (typeof value !== "object" || value === null) return undefined;
    const dryRun = (value as { dryRun?: unknown }).dryRun;
    if (dryRun !== undefined && typeof dryRun !== "boolean") return undefined;
    return { dryRun: dryRun === true };
  } catch {
    return undefined;
  }
};

/** Starts the front door on 127.0.0.1:`port` (0: a free one). */
export const startFrontDoor = async (port: number, options: FrontDoorOptions): Promise<RunningFrontDoor> => {
  const { http, bus, sqs, schedules, log } = options;
  const logRequests = options.logRequests ?? true;

  const runSchedule = async (runner: ScheduleRunner, res: ServerResponse, body: string): Promise<void> => {
    const request = parseScheduleRequest(body);
    if (request === undefined) {
      return sendAnswer(res, {
        status: 400,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: 'The body must be empty or {"dryRun": true|false}' }),
      });
    }
    res.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-store" });
    const write = (line: SweepStreamLine): void => {
      if (!res.writableEnded) res.write(`${JSON.stringify(line)}\n`);
    };
    const result = await runner.run({ dryRun: request.dryRun, onLine: write });
    write(result.ok ? { type: "summary", summary: result.summary } : { type: "error", error: result.error });
    res.end();
    if (!result.ok) log(`[${runner.name}] failed: ${result.error}`);
  };

  const api = async (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> => {
    const requestId = apiGatewayRequestId();
    const startedAt = Date.now();
    const event = toApiGatewayEvent({
      method: req.method ?? "GET",
      url: req.url ?? "/",
      httpVersion: req.httpVersion,
      rawHeaders: req.rawHeaders,
      body,
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "127.0.0.1",
      requestId,
      timeEpoch: startedAt,
    });
    let answer: HttpAnswer;
    try {
      answer = fromHandlerResult(await http.invoke(event, { awsRequestId: randomUUID() }));
    } catch (error) {
      log(`[http-api] ${event.requestContext.http.method} ${event.rawPath}: ${String(error)}`);
      answer = INTERNAL_SERVER_ERROR;
    }
    answer.headers["apigw-requestid"] = requestId;
    sendAnswer(res, answer);
    if (logRequests) {
      log(
        `[http-api] ${event.requestContext.http.method} ${req.url} → ${answer.statusCode} (${Date.now() - startedAt} ms)`,
      );
    }
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    if (body === undefined) {
      return sendAnswer(res, {
        status: 413,
        headers: { "content-type": "application/json" },
        body: '{"message":"Request Entity Too Large"}',
      });
    }
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const method = req.method ?? "GET";
    const text = (): string => body.toString("utf8");
    const header = req.headers["x-amz-target"];
    const target = Array.isArray(header) ? header[0] : header;
    if (isSqsRequest(target)) return sendAnswer(res, await answerSqsJson(sqs, method, target, text()));
    if (isEventBridgePath(path)) return sendAnswer(res, answerAwsJson(bus, method, target, text()));
    if (path === "/events" && method === "POST") return sendAnswer(res, answerPutEvents(bus, text()));
    if (path === "/events" && method === "GET")
      return sendAnswer(res, answerListEvents(bus, sqs, options.functions, options.relayFailures?.()));
    const schedule = schedules[path];
    if (schedule && method === "POST") return runSchedule(schedule, res, text());
    return api(req, res, body);
  };

  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      log(`[local] ${req.method} ${req.url} crashed: ${String(error)}`);
      if (!res.headersSent) sendAnswer(res, INTERNAL_SERVER_ERROR);
      else res.end();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port: boundPort } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${boundPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
};
