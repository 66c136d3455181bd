import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { HttpProblem } from "./http-problem.ts";

/** The parts of an API Gateway v2 event the routes use, with the body exactly as sent. */
export interface HttpRequest {
  method: string;
  path: string;
  /** What the caller signed: the raw path plus `?query` when there is one. */
  pathAndQuery: string;
  query: URLSearchParams;
  rawBody: string;
  header(name: string): string | undefined;
  requestId: string;
}

export const toHttpRequest = (event: APIGatewayProxyEventV2, maxBodyBytes: number): HttpRequest => {
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
