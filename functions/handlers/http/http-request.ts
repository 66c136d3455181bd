import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { HttpProblem } from "./http-problem.ts";

/** The parts of an API Gateway v2 event the routes use, with the body exactly as sent. */
export interface HttpRequest {
  method: string;
  /** The path as API Gateway HTTP APIs hand it: percent-decoded (never decoded again here). */
  path: string;
  /** What the caller signed, in its canonical form's terms: the path plus `?query` as sent. */
  pathAndQuery: string;
  query: URLSearchParams;
  rawBody: string;
  header(name: string): string | undefined;
  requestId: string;
}

/**
 * API Gateway HTTP APIs percent-decode `rawPath` (twice, as captured in public traces), so
 * a `%` or `?` still in it means the client encoded a `%` or `?` into its path: no id of
 * this API holds either, and the path would not mean the same thing once decoded again.
 * Refused here, before the signature is checked, so that the signed (canonical) path and
 * the path the routes act on can never differ (docs/signing.md).
 */
const AMBIGUOUS_IN_DECODED_PATH = /[%?]/;

export const toHttpRequest = (event: APIGatewayProxyEventV2, maxBodyBytes: number): HttpRequest => {
  if (AMBIGUOUS_IN_DECODED_PATH.test(event.rawPath)) {
    throw new HttpProblem("validation", "The path holds '%' or '?' once decoded; no id may hold either", {
      field: "path",
    });
  }
  const body = event.body ?? "";
  const bytes = event.isBase64Encoded ? Buffer.from(body, "base64") : Buffer.from(body, "utf8");
  if (bytes.length > maxBodyBytes) {
    throw new HttpProblem("payload-too-large", `The body is larger than ${maxBodyBytes} bytes`);
  }
  const headers = new Map(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const query = event.rawQueryString ?? "";
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath,
    pathAndQuery: query ? `${event.rawPath}?${query}` : event.rawPath,
    query: new URLSearchParams(query),
    rawBody: bytes.toString("utf8"),
    header: (name) => headers.get(name.toLowerCase()),
    requestId: event.requestContext.requestId,
  };
};
