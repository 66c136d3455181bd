/**
 * Fake-Ledger itself, in process on 127.0.0.1: holds to release, the API keys it accepts,
 * and answers a test can force ahead of the real ones (a 503, a 429 with `Retry-After`, …).
 * It records what it was sent, never a key.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface ForcedAnswer {
  status: number;
  code: string;
  retryAfterSeconds?: number;
}

export interface RunningFakeLedger {
  url: string;
  /** Hold id → status. */
  holds: Map<string, "HELD" | "RELEASED" | "SETTLED">;
  /** The API keys it accepts now. */
  keys: Set<string>;
  /** Answered, in order, before any real answer. */
  forced: ForcedAnswer[];
  /** Every request: its path and the status it got. */
  seen: { path: string; status: number }[];
  close(): Promise<void>;
}

export const startFakeLedger = async (): Promise<RunningFakeLedger> => {
  let requests = 0;
  const ledger: Omit<RunningFakeLedger, "url" | "close"> = {
    holds: new Map(),
    keys: new Set(),
    forced: [],
    seen: [],
  };
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const path = request.url ?? "";
      const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        ledger.seen.push({ path, status });
        response.writeHead(status, {
          "content-type": "application/json",
          "x-ledger-request": `req-${++requests}`,
          ...headers,
        });
        response.end(JSON.stringify(body));
      };
      const error = (status: number, code: string, headers?: Record<string, string>) =>
        answer(status, { error: { code, message: code.toLowerCase().replaceAll("_", " ") } }, headers);

      const forced = ledger.forced.shift();
      if (forced) {
        const retryAfter = forced.retryAfterSeconds;
        return error(
          forced.status,
          forced.code,
          retryAfter === undefined ? {} : { "retry-after": String(retryAfter) },
        );
      }
      const key = /^ApiKey (.+)$/.exec(request.headers.authorization ?? "")?.[1];
      if (key === undefined || !ledger.keys.has(key)) return error(401, "BAD_KEY");
      const match = /^\/v1\/holds\/([^/]+)\/release$/.exec(path);
      const hold = match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
      if (request.method !== "POST" || hold === undefined) return error(404, "NO_ROUTE");
      const status = ledger.holds.get(hold);
      if (status === undefined) return error(404, "HOLD_NOT_FOUND");
      if (status === "SETTLED") return error(409, "HOLD_SETTLED");
      ledger.holds.set(hold, "RELEASED");
      return answer(200, { hold: { id: hold, status: "RELEASED" } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ...ledger,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
};
