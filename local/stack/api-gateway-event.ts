/**
 * The API Gateway HTTP API (payload format 2.0) both ways: one raw HTTP request becomes the
 * `APIGatewayProxyEventV2` Lambda would receive, and the handler's result becomes the HTTP
 * answer API Gateway would send. The route is chosen as the deployed API chooses it, from the
 * same route table infra/ declares (functions/manifest/http-routes.ts): a request matching a
 * route's method and path template gets that `routeKey` and its decoded `pathParameters`;
 * anything else (another method, the charge route's trailing slash, unknown paths) `$default`.
 *
 * Kept as API Gateway does it: header names lower-cased and repeated headers joined with
 * commas; cookies moved out of the headers into `cookies`; repeated query parameters
 * joined with commas; textual bodies as text, others base64 (`isBase64Encoded`); no `body`
 * when the request has none. `rawQueryString` is exactly what the client sent; `rawPath`
 * (and `requestContext.http.path`) is percent-decoded as HTTP APIs do it (`httpApiRawPath`).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import {
  DEFAULT_ROUTE_KEY,
  HTTP_ROUTES,
  pathParameterNamesOf,
  pathPatternOf,
  routeKeyOf,
} from "../../functions/manifest/http-routes.ts";

export interface RawHttpRequest {
  method: string;
  /** The request target as sent, e.g. `/api/v1/intents/x/cancel?dry=1`. */
  url: string;
  /** `1.1` */
  httpVersion: string;
  /** Node's `rawHeaders`: name, value, name, value… in the order received. */
  rawHeaders: readonly string[];
  body: Buffer;
  sourceIp: string;
  requestId: string;
  timeEpoch: number;
}

export interface HttpAnswer {
  statusCode: number;
  /** `set-cookie` may repeat; everything else is one value. */
  headers: Record<string, string | string[]>;
  body: Buffer;
}

const LOCAL_ACCOUNT_ID = "000000000000";

const TEXT_TYPES = [
  /^text\//,
  /^application\/(json|javascript|xml|x-www-form-urlencoded|x-ndjson|graphql)\b/,
  /\+(json|xml)\b/,
];

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Whether API Gateway would pass this body as text rather than base64. */
export const isTextBody = (contentType: string | undefined, body: Buffer): boolean => {
  if (contentType !== undefined) {
    const type = contentType.toLowerCase();
    return TEXT_TYPES.some((pattern) => pattern.test(type));
  }
  // No content type: text when it decodes as UTF-8 (a signed JSON body sent without one).
  try {
    utf8.decode(body);
    return true;
  } catch {
    return false;
  }
};

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** API Gateway's `requestContext.time`: `12/Mar/2020:19:03:58 +0000`. */
export const apiGatewayTime = (epochMs: number): string => {
  const d = new Date(epochMs);
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(
    d.getUTCMinutes(),
  )}:${two(d.getUTCSeconds())} +0000`;
};

/** Decodes every run of well-formed UTF-8 escapes; a run that does not decode is left as it is. */
const decodeEscapes = (text: string): string =>
  text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });

/**
 * The `rawPath` an API Gateway HTTP API (payload 2.0) hands Lambda for the path a client
 * sent. Unlike REST APIs and function URLs, HTTP APIs decode it, and public captures of
 * live HTTP APIs (hotsock/voker, vokerhttp/testdata/ingress-paths.json) show it decoded
 * twice, cut at a `?` the first decoding produced:
 *
 *   sent                        rawPath
 *   /a/space%20value            /a/space value
 *   /a/slash%2Fvalue            /a/slash/value
 *   /a/question%3Fvalue         /a/question
 *   /a/literal%253Fvalue        /a/literal?value
 *   /a/literal%2525value        /a/literal%value
 *   /a/percent%25done           (refused by API Gateway)
 *
 * Where API Gateway refuses the request (an escape that is malformed once decoded), this
 * door passes the escape on undecoded instead; the handler then refuses the `%` itself
 * (docs/signing.md, "The local front door").
 */
export const httpApiRawPath = (sentPath: string): string => {
  const once = decodeEscapes(sentPath);
  const questionAt = once.indexOf("?");
  return decodeEscapes(questionAt === -1 ? once : once.slice(0, questionAt));
};

const DEPLOYED_ROUTES = HTTP_ROUTES.map((route) => ({
  method: route.method,
  key: routeKeyOf(route),
  // A deployed route key never ends in "/": the trailing-slash spelling goes to `$default`.
  pattern: pathPatternOf({ ...route, trailingSlash: undefined }),
  names: pathParameterNamesOf(route),
}));

/** The route API Gateway would pick for a method and a decoded path, with its path parameters. */
export const deployedRouteOf = (
  method: string,
  rawPath: string,
): { routeKey: string; pathParameters?: Record<string, string> } => {
  for (const route of DEPLOYED_ROUTES) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(rawPath);
    if (!match) continue;
    if (route.names.length === 0) return { routeKey: route.key };
    const pathParameters = Object.fromEntries(route.names.map((name, i) => [name, match[i + 1] as string]));
    return { routeKey: route.key, pathParameters };
  }
  return { routeKey: DEFAULT_ROUTE_KEY };
};

/** The payload-format-2.0 event for one request, on the route the deployed API would pick. */
export const toApiGatewayEvent = (request: RawHttpRequest): APIGatewayProxyEventV2 => {
  const queryAt = request.url.indexOf("?");
  const rawPath = httpApiRawPath(queryAt === -1 ? request.url : request.url.slice(0, queryAt));
  const rawQueryString = queryAt === -1 ? "" : request.url.slice(queryAt + 1);

  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = (request.rawHeaders[i] ?? "").toLowerCase();
    const value = request.rawHeaders[i + 1] ?? "";
    if (name === "cookie") {
      cookies.push(
        ...value
          .split(";")
          .map((cookie) => cookie.trim())
          .filter((cookie) => cookie !== ""),
      );
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }

  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  }

  const host = headers.host ?? "127.0.0.1";
  const hasBody = request.body.length > 0;
  const asText = hasBody && isTextBody(headers["content-type"], request.body);

  const method = request.method.toUpperCase();
  const { routeKey, pathParameters } = deployedRouteOf(method, rawPath);
  return {
    version: "2.0",
    routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(pathParameters ? { pathParameters } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: "local",
      domainName: host,
      domainPrefix: host.split(".")[0] ?? host,
      http: {
        method,
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.sourceIp,
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: request.requestId,
      routeKey,
      stage: "$default",
      time: apiGatewayTime(request.timeEpoch),
      timeEpoch: request.timeEpoch,
    },
    ...(hasBody ? { body: asText ? request.body.toString("utf8") : request.body.toString("base64") } : {}),
    isBase64Encoded: hasBody && !asText,
  };
};

/** What API Gateway answers when the function throws or times out. */
export const INTERNAL_SERVER_ERROR: HttpAnswer = {
  statusCode: 500,
  headers: { "content-type": "application/json" },
  body: Buffer.from('{"message":"Internal Server Error"}'),
};

const isStructured = (result: unknown): result is APIGatewayProxyStructuredResultV2 =>
  typeof result === "object" &&
  result !== null &&
  typeof (result as { statusCode?: unknown }).statusCode === "number";

/**
 * The HTTP answer for a handler's result. A result without `statusCode` is, as API Gateway
 * reads it, a 200 whose JSON body is the result itself.
 */
export const fromHandlerResult = (result: unknown): HttpAnswer => {
  if (!isStructured(result)) {
    return {
      statusCode: 200,
      headers: { "content-type": "application/json" },
      body: Buffer.from(JSON.stringify(result) ?? "null"),
    };
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  if (result.cookies && result.cookies.length > 0) headers["set-cookie"] = [...result.cookies];
  const body =
    result.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(result.body, result.isBase64Encoded === true ? "base64" : "utf8");
  return { statusCode: result.statusCode ?? 200, headers, body };
};
