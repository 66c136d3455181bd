/**
 * A tiny API Gateway stand-in on 127.0.0.1 for tests that drive the HTTP handler with a
 * real HTTP client (e.g. a seed's own example program): each request becomes the
 * payload-2.0 event API Gateway would send (local/stack/api-gateway-event.ts), and the
 * handler's result becomes the HTTP answer.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import {
  fromHandlerResult,
  INTERNAL_SERVER_ERROR,
  toApiGatewayEvent,
} from "#local/stack/api-gateway-event.ts";
import { lambdaContext } from "./lambda-events.ts";

export interface RunningApiGateway {
  url: string;
  close(): Promise<void>;
}

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** Serves `handler` on an ephemeral 127.0.0.1 port. */
export const startApiGateway = async (
  handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>,
): Promise<RunningApiGateway> => {
  const server = createServer(async (req, res) => {
    const event = toApiGatewayEvent({
      method: req.method ?? "GET",
      url: req.url ?? "/",
      httpVersion: req.httpVersion,
      rawHeaders: req.rawHeaders,
      body: await readBody(req),
      sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
      requestId: randomBytes(10).toString("base64"),
      timeEpoch: Date.now(),
    });
    const answer = await handler(event, lambdaContext()).then(fromHandlerResult, () => INTERNAL_SERVER_ERROR);
    res.writeHead(answer.statusCode, answer.headers);
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
