/**
 * The local SQS on an HTTP server of its own (127.0.0.1), for tests and tools that need
 * queues without the whole front door. `npm start` serves the same endpoint on the front
 * door instead (front-door.ts).
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { LocalSqs, type QueueDefinition } from "./local-sqs.ts";
import { answerSqsJson } from "./sqs-json-endpoint.ts";

export interface RunningSqsServer {
  sqs: LocalSqs;
  /** The endpoint for an SQS client (`endpoint`), e.g. `http://127.0.0.1:40123`. */
  endpoint: string;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });

/** Starts the server (port 0: a free one) with these queues. */
export const startSqsServer = async (
  options: { port?: number; queues?: readonly QueueDefinition[]; now?: () => number } = {},
): Promise<RunningSqsServer> => {
  let sqs: LocalSqs | undefined;
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    void readBody(req)
      .then(async (body) => {
        if (!sqs) throw new Error("the local SQS is not ready");
        const target = req.headers["x-amz-target"];
        const answer = await answerSqsJson(
          sqs,
          req.method ?? "GET",
          Array.isArray(target) ? target[0] : target,
          body,
        );
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      })
      .catch((error: unknown) => {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ __type: "InternalFailure", message: String(error) }));
      });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sqs = new LocalSqs({ endpoint, ...(options.now ? { now: options.now } : {}) });
  for (const queue of options.queues ?? []) sqs.create(queue);
  const running = sqs;
  return {
    sqs: running,
    endpoint,
    close: () =>
      new Promise<void>((resolve) => {
        running.close();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
};
