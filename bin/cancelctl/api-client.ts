/**
 * cancelctl's HTTP calls: signed (X-App-Id / X-Timestamp / X-Signature, docs/signing.md) or
 * bearer, and the local stack's NDJSON sweep stream. Signed requests go through the
 * service's own signing module over the path exactly as sent; the module signs its
 * canonical form (docs/signing.md), so the service verifies it although API Gateway hands
 * the function that path decoded.
 */
import { signRequest } from "#adapters/http/request-signature.ts";
import type { ClientConfig } from "./client-config.ts";
import { ConfigError } from "./client-config.ts";

export interface ApiAnswer {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the text when the body is not JSON. */
  body: unknown;
}

/** The service could not be reached or did not answer in time. */
export class TransportError extends Error {
  override readonly name = "TransportError";
}

export interface ApiRequest {
  method: "GET" | "POST";
  /** Path and query below the API URL, already encoded, e.g. `/api/v1/intents/x/cancel`. */
  path: string;
  body?: unknown;
  /** A body sent as it is, with its own content type (a bulk submission's CSV), instead of `body` as JSON. */
  rawBody?: { contentType: string; text: string };
  /** What the answer should be; default `application/json`. */
  accept?: string;
  idempotencyKey?: string;
  timeoutMs?: number;
}

/** The full URL for a path below the configured API URL (which may carry a path prefix). */
export const urlFor = (apiUrl: string, path: string): URL => {
  const base = new URL(apiUrl);
  const [pathname = "", search] = path.split("?");
  const url = new URL(base.origin);
  url.pathname = `${base.pathname.replace(/\/+$/, "")}${pathname}`;
  if (search !== undefined) url.search = `?${search}`;
  return url;
};

const send = async (url: URL, init: RequestInit, timeoutMs: number): Promise<Response> => {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why =
      (error as Error).name === "TimeoutError"
        ? `no answer within ${timeoutMs / 1000} s`
        : (cause?.code ?? cause?.message ?? (error as Error).message);
    throw new TransportError(`Cannot reach ${url.origin} (${why}). Is \`npm start\` running?`);
  }
};

const answerOf = async (response: Response): Promise<ApiAnswer> => {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === "" ? null : JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page): keep the text.
  }
  return { status: response.status, headers: response.headers, body };
};

const jsonBody = (body: unknown): string => (body === undefined ? "" : JSON.stringify(body));

/**
 * A request signed with the app's secret.
 * @throws UnsignablePathError when the path would not reach the service as sent (an id holding `%`)
 */
export const sendSigned = async (config: ClientConfig, request: ApiRequest): Promise<ApiAnswer> => {
  if (!config.appId || !config.appSecret) {
    throw new ConfigError("Signed routes need APP_ID and APP_SECRET (from client.env or the environment).");
  }
  const url = urlFor(config.apiUrl, request.path);
  const body = request.rawBody?.text ?? jsonBody(request.body);
  const headers: Record<string, string> = {
    ...signRequest(
      { appId: config.appId, appSecret: config.appSecret },
      { method: request.method, pathAndQuery: `${url.pathname}${url.search}`, body },
      Date.now(),
    ),
    accept: request.accept ?? "application/json",
  };
  if (body !== "") headers["content-type"] = request.rawBody?.contentType ?? "application/json";
  if (request.idempotencyKey) headers["idempotency-key"] = request.idempotencyKey;
  const response = await send(
    url,
    { method: request.method, headers, ...(body === "" ? {} : { body }) },
    request.timeoutMs ?? 30_000,
  );
  return answerOf(response);
};

/** A request with the client's bearer token (the A55-style charge route). */
export const sendBearer = async (config: ClientConfig, request: ApiRequest): Promise<ApiAnswer> => {
  if (!config.accessToken) {
    throw new ConfigError("The charge route needs A55_ACCESS_TOKEN (from client.env or the environment).");
  }
  const url = urlFor(config.apiUrl, request.path);
  const headers: Record<string, string> = {
    authorization: `Bearer ${config.accessToken}`,
    "content-type": "application/json",
    accept: "application/json",
  };
  if (request.idempotencyKey) headers["idempotency-key"] = request.idempotencyKey;
  const response = await send(
    url,
    { method: request.method, headers, body: jsonBody(request.body ?? {}) },
    request.timeoutMs ?? 30_000,
  );
  return answerOf(response);
};

/**
 * `POST /sweep` on the local stack: calls `onLine` with each NDJSON line as it arrives.
 *
 * @returns the HTTP status and, when it is not a stream, the answer's body
 */
export const streamSweep = async (
  config: ClientConfig,
  dryRun: boolean,
  onLine: (line: unknown) => void,
): Promise<{ status: number; body?: unknown }> => {
  const url = urlFor(config.apiUrl, "/sweep");
  const response = await send(
    url,
    { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ dryRun }) },
    330_000,
  );
  if (!response.headers.get("content-type")?.includes("ndjson") || response.body === null) {
    return { status: response.status, body: (await answerOf(response)).body };
  }
  const decoder = new TextDecoder();
  let buffered = "";
  const flush = (final: boolean): void => {
    const lines = buffered.split("\n");
    buffered = final ? "" : (lines.pop() ?? "");
    for (const line of lines) {
      if (line.trim() === "") continue;
      try {
        onLine(JSON.parse(line));
      } catch {
        onLine({ type: "error", error: `unreadable line: ${line}` });
      }
    }
  };
  try {
    for await (const chunk of response.body) {
      buffered += decoder.decode(chunk, { stream: true });
      flush(false);
    }
  } catch (error) {
    throw new TransportError(`The sweep stream broke off: ${(error as Error).message}`);
  }
  buffered += decoder.decode();
  flush(true);
  return { status: response.status };
};
