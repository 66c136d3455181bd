/**
 * The HTTP plumbing both upstream sandboxes share: a server on 127.0.0.1 (ephemeral port
 * by default), fault injection before every contract request, a counter of upstream
 * effects per target, and a small control API under `/__sandbox/` for tests and
 * `npm start`:
 *
 *   GET  /__sandbox/effects          → { effects: { <target>: n }, total }
 *   GET  /__sandbox/faults           → the current knobs
 *   PUT  /__sandbox/faults           ← partial knobs (unknown knobs → 400)
 *
 * Control routes are never subject to faults.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { FaultInjector, type FaultSettings } from "./fault-injector.ts";

export interface SandboxRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  pathAndQuery: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** Case-insensitive single header value. */
  header(name: string): string | undefined;
}

export interface SandboxResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON unless it is already a string. */
  body?: unknown;
}

/** Counts how many times a target's state really changed (a cancel that took effect). */
export class EffectCounter {
  readonly #counts = new Map<string, number>();
  record(target: string): void {
    this.#counts.set(target, (this.#counts.get(target) ?? 0) + 1);
  }
  count(target: string): number {
    return this.#counts.get(target) ?? 0;
  }
  all(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }
  total(): number {
    let sum = 0;
    for (const n of this.#counts.values()) sum += n;
    return sum;
  }
  reset(): void {
    this.#counts.clear();
  }
}

export interface SandboxServerOptions {
  name: string;
  port?: number;
  faults?: Partial<FaultSettings>;
  maxBodyBytes?: number;
  effects?: EffectCounter;
  handle: (request: SandboxRequest) => Promise<SandboxResponse> | SandboxResponse;
  /**
   * The body an injected fault answers with, in the upstream's own error format. `request`
   * lets it echo ids from the path and add the upstream's usual headers (request id, rate limit).
   */
  faultResponse: (
    kind: "error" | "rate-limit",
    retryAfterSeconds: number,
    request: SandboxRequest,
  ) => SandboxResponse;
}

export interface RunningSandbox {
  name: string;
  url: string;
  port: number;
  faults: FaultInjector;
  effects: EffectCounter;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage, limit: number): Promise<string | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });

const send = (res: ServerResponse, response: SandboxResponse): void => {
  const body =
    response.body === undefined
      ? ""
      : typeof response.body === "string"
        ? response.body
        : JSON.stringify(response.body);
  const headers: Record<string, string> = { ...response.headers };
  if (response.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
    headers["content-type"] =
      typeof response.body === "string" ? "text/plain" : "application/json; charset=utf-8";
  }
  res.writeHead(response.status, headers);
  res.end(body);
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a sandbox. Resolves once it listens. */
export const startSandboxServer = async (options: SandboxServerOptions): Promise<RunningSandbox> => {
  const faults = new FaultInjector(options.faults);
  const effects = options.effects ?? new EffectCounter();
  const limit = options.maxBodyBytes ?? 64 * 1024;
  const sockets = new Set<Socket>();

  const control = async (req: SandboxRequest): Promise<SandboxResponse> => {
    if (req.path === "/__sandbox/effects" && req.method === "GET") {
      return { status: 200, body: { effects: effects.all(), total: effects.total() } };
    }
    if (req.path === "/__sandbox/faults" && req.method === "GET")
      return { status: 200, body: faults.settings };
    if (req.path === "/__sandbox/faults" && req.method === "PUT") {
      try {
        return { status: 200, body: faults.update(JSON.parse(req.rawBody || "{}")) };
      } catch (error) {
        return { status: 400, body: { error: (error as Error).message } };
      }
    }
    return { status: 404, body: { error: "unknown sandbox control route" } };
  };

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://sandbox.local");
      const rawBody = await readBody(req, limit);
      if (rawBody === undefined) return send(res, { status: 413, body: { error: "body too large" } });
      const request: SandboxRequest = {
        method: req.method ?? "GET",
        path: url.pathname,
        query: url.searchParams,
        pathAndQuery: req.url ?? "/",
        headers: req.headers,
        rawBody,
        header: (name) => {
          const value = req.headers[name.toLowerCase()];
          return Array.isArray(value) ? value[0] : value;
        },
      };
      if (request.path.startsWith("/__sandbox/")) return send(res, await control(request));

      const { decision, delayMs } = faults.next();
      if (delayMs > 0) await sleep(delayMs);
      if (decision === "hang") return; // the socket stays open until the client gives up or the sandbox closes
      if (decision === "reset") return req.socket.resetAndDestroy();
      if (decision === "error" || decision === "rate-limit") {
        return send(res, options.faultResponse(decision, faults.settings.retryAfterSeconds, request));
      }
      send(res, await options.handle(request));
    } catch (error) {
      // A sandbox bug must be visible, not look like an upstream outage.
      console.error(`[${options.name} sandbox] handler crashed:`, error);
      if (!res.headersSent)
        send(res, { status: 500, body: { error: "sandbox crashed", detail: String(error) } });
    }
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    name: options.name,
    url: `http://127.0.0.1:${port}`,
    port,
    faults,
    effects,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
};
