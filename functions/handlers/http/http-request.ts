import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { isWellFormedText } from "#adapters/validation/safe-text.ts";
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

/**
 * Strict UTF-8: a body that is not UTF-8 is refused rather than repaired with U+FFFD (which
 * would send an upstream, and store, text the caller never wrote). A leading BOM is kept, so
 * the text is the bytes exactly as signed (JSON.parse then refuses it).
 */
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const notUtf8 = () => new HttpProblem("validation", "The body is not valid UTF-8", { field: "body" });

/** The body as text: base64 bodies decoded as strict UTF-8, text bodies checked for lone surrogates. */
const bodyText = (body: string, isBase64Encoded: boolean | undefined, maxBodyBytes: number): string => {
  if (!isBase64Encoded) {
    if (Buffer.byteLength(body, "utf8") > maxBodyBytes) throw tooLarge(maxBodyBytes);
    // A lone surrogate has no UTF-8 form: encoding it would turn it into U+FFFD.
    if (!isWellFormedText(body)) throw notUtf8();
    return body;
  }
  const bytes = Buffer.from(body, "base64");
  if (bytes.length > maxBodyBytes) throw tooLarge(maxBodyBytes);
  try {
    return UTF8.decode(bytes);
  } catch (error) {
    throw new HttpProblem("validation", "The body is not valid UTF-8", { field: "body" }, { cause: error });
  }
};

const tooLarge = (maxBodyBytes: number) =>
  new HttpProblem("payload-too-large", `The body is larger than ${maxBodyBytes} bytes`);

export const toHttpRequest = (event: APIGatewayProxyEventV2, maxBodyBytes: number): HttpRequest => {
  if (AMBIGUOUS_IN_DECODED_PATH.test(event.rawPath)) {
    throw new HttpProblem("validation", "The path holds '%' or '?' once decoded; no id may hold either", {
      field: "path",
    });
  }
  const rawBody = bodyText(event.body ?? "", event.isBase64Encoded, maxBodyBytes);
  const headers = new Map(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const query = event.rawQueryString ?? "";
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath,
    pathAndQuery: query ? `${event.rawPath}?${query}` : event.rawPath,
    query: new URLSearchParams(query),
    rawBody,
    header: (name) => headers.get(name.toLowerCase()),
    requestId: event.requestContext.requestId,
  };
};
