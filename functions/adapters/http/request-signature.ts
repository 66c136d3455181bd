/**
 * The request signature of docs/signing.md, used for outbound Procure-Core calls and for
 * verifying inbound calls alike (and by the Procure-Core sandbox, and by cancelctl):
 *
 *   X-Signature = hex(HMAC-SHA256(secret, METHOD + "\n" + PATH_AND_QUERY + "\n" + X-Timestamp + "\n" + RAW_BODY))
 *
 * PATH_AND_QUERY is canonical (docs/signing.md): the path percent-decoded once, then each
 * `/`-separated segment re-encoded with RFC 3986's unreserved set (`A–Z a–z 0–9 - . _ ~`
 * kept, every other UTF-8 byte `%XX` in upper-case hex); the query string as sent. API
 * Gateway HTTP APIs hand Lambda `rawPath` percent-decoded while a client signs what it
 * sends, so the path must mean the same text in both forms: decoding a path that holds no
 * `%` changes nothing, and one that has been decoded already holds none (a decoded path
 * that still does is refused before it is verified, see `http-request.ts`). A path whose
 * decoded form still holds `%` cannot be signed at all: HTTP APIs decode twice, so it
 * would reach the function as another path.
 *
 * Timestamps are epoch milliseconds, accepted within ±5 minutes; comparison is constant
 * time; an app may hold two secrets while one is rotated.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADERS = {
  appId: "x-app-id",
  timestamp: "x-timestamp",
  signature: "x-signature",
} as const;

export const DEFAULT_TOLERANCE_MS = 5 * 60 * 1000;

export interface SignableRequest {
  method: string;
  /**
   * Path plus query string, e.g. `/api/v1/intents?status=SUBMITTED`: as sent (encoded), or
   * with the path as API Gateway hands it (decoded); both give the same canonical text.
   */
  pathAndQuery: string;
  timestamp: string;
  /** The raw body; empty string when there is none. */
  body: string;
}

/** A path that has no canonical form: malformed escapes, or a `%` left after decoding. */
export class UnsignablePathError extends Error {
  override readonly name = "UnsignablePathError";
}

const NOT_UNRESERVED = /[!'()*]/g;

/** RFC 3986's unreserved characters and the segment separator: a path of these is its own canonical form. */
const ALREADY_CANONICAL = /^[A-Za-z0-9\-._~/]*$/;

/** One segment with every byte outside RFC 3986's unreserved set as `%XX` (upper-case hex). */
const encodeSegment = (segment: string): string =>
  // encodeURIComponent leaves A–Z a–z 0–9 - _ . ! ~ * ' ( ) alone; of those, ! ' ( ) * are not unreserved.
  encodeURIComponent(segment).replace(
    NOT_UNRESERVED,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );

/**
 * The canonical form of a path: decoded once, then each segment re-encoded with one fixed
 * rule. `/api/v1/orders/order%3a1001/cancel`, `/api/v1/orders/order:1001/cancel` and
 * `/api/v1/orders/%6Frder%3A1001/cancel` all give `/api/v1/orders/order%3A1001/cancel`.
 *
 * @throws UnsignablePathError for a malformed escape (`%zz`, bytes that are not UTF-8), a
 *   lone surrogate, or a path whose decoded form still holds `%`
 */
export const canonicalPath = (path: string): string => {
  // Unreserved characters and `/` only (every path this service serves and calls, mostly):
  // decoding and re-encoding give the path back, so skip both (CPU per cancel: bench suite 2).
  if (ALREADY_CANONICAL.test(path)) return path;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw new UnsignablePathError("The path holds a malformed percent-escape");
  }
  if (decoded.includes("%")) {
    throw new UnsignablePathError(
      "The path still holds '%' once decoded: API Gateway decodes paths twice, so it cannot be signed",
    );
  }
  try {
    return decoded.split("/").map(encodeSegment).join("/");
  } catch {
    throw new UnsignablePathError("The path holds a lone surrogate");
  }
};

/** `canonicalPath` of the part before the first `?`; the query string is kept exactly as sent. */
export const canonicalPathAndQuery = (pathAndQuery: string): string => {
  const queryAt = pathAndQuery.indexOf("?");
  return queryAt === -1
    ? canonicalPath(pathAndQuery)
    : `${canonicalPath(pathAndQuery.slice(0, queryAt))}${pathAndQuery.slice(queryAt)}`;
};

/**
 * The exact text that is signed.
 * @throws UnsignablePathError when the path has no canonical form
 */
export const canonicalRequest = ({ method, pathAndQuery, timestamp, body }: SignableRequest): string =>
  `${method.toUpperCase()}\n${canonicalPathAndQuery(pathAndQuery)}\n${timestamp}\n${body}`;

/**
 * The keyed-hash primitive under every signature: lowercase hex HMAC-SHA256. Exported so
 * it can be checked against published vectors (RFC 4231), whose keys and data are bytes.
 */
export const hmacSha256Hex = (key: string | Uint8Array, message: string | Uint8Array): string => {
  const hmac = createHmac("sha256", key);
  return (typeof message === "string" ? hmac.update(message, "utf8") : hmac.update(message)).digest("hex");
};

/**
 * Lowercase hex HMAC-SHA256 of the canonical request.
 * @throws UnsignablePathError when the path has no canonical form
 */
export const computeSignature = (secret: string, request: SignableRequest): string =>
  hmacSha256Hex(secret, canonicalRequest(request));

/**
 * Headers for an outbound signed request. `pathAndQuery` is what is sent.
 * @throws UnsignablePathError when the path has no canonical form
 */
export const signRequest = (
  credentials: { appId: string; appSecret: string },
  request: Omit<SignableRequest, "timestamp">,
  nowMs: number,
): Record<"X-App-Id" | "X-Timestamp" | "X-Signature", string> => {
  const timestamp = String(nowMs);
  return {
    "X-App-Id": credentials.appId,
    "X-Timestamp": timestamp,
    "X-Signature": computeSignature(credentials.appSecret, { ...request, timestamp }),
  };
};

export type SignatureFailure = "missing-header" | "stale-timestamp" | "unknown-app" | "bad-signature";

export type SignatureVerdict =
  | { ok: true; appId: string }
  | { ok: false; failure: SignatureFailure; message: string; appId?: string };

export interface VerifyInput {
  /** Header lookup that ignores case. */
  header: (name: string) => string | undefined;
  method: string;
  /** The path (encoded as sent, or decoded as API Gateway HTTP APIs hand it) and `?query` as sent. */
  pathAndQuery: string;
  body: string;
  nowMs: number;
  /** The app's current secrets (two while rotating), or undefined for an unknown app. */
  secretsFor: (appId: string) => readonly string[] | undefined;
  toleranceMs?: number;
}

/** A key no app holds, for the HMAC an unknown app's request is put through. */
const UNKNOWN_APP_STAND_IN = "unknown-app-stand-in";

/**
 * Checks an inbound signed request. The verdict names the reason (for the log), never a
 * secret; callers answer every failure alike (docs/signing.md).
 */
export const verifySignature = (input: VerifyInput): SignatureVerdict => {
  const appId = input.header(SIGNATURE_HEADERS.appId);
  const timestamp = input.header(SIGNATURE_HEADERS.timestamp);
  const signature = input.header(SIGNATURE_HEADERS.signature);
  const missing = [
    [SIGNATURE_HEADERS.appId, appId],
    [SIGNATURE_HEADERS.timestamp, timestamp],
    [SIGNATURE_HEADERS.signature, signature],
  ].find(([, value]) => !value);
  if (missing || !appId || !timestamp || !signature) {
    return {
      ok: false,
      failure: "missing-header",
      message: `Missing header ${missing?.[0] ?? "x-signature"}`,
    };
  }
  const sentAt = /^\d{1,16}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
  const tolerance = input.toleranceMs ?? DEFAULT_TOLERANCE_MS;
  if (!Number.isFinite(sentAt) || Math.abs(input.nowMs - sentAt) > tolerance) {
    return {
      ok: false,
      failure: "stale-timestamp",
      message: `X-Timestamp must be epoch milliseconds within ${tolerance / 1000} s of now`,
      appId,
    };
  }
  const secrets = input.secretsFor(appId);
  const known = secrets !== undefined && secrets.length > 0;
  let canonical: string;
  try {
    canonical = canonicalRequest({
      method: input.method,
      pathAndQuery: input.pathAndQuery,
      timestamp,
      body: input.body,
    });
  } catch (error) {
    if (!(error instanceof UnsignablePathError)) throw error;
    return known
      ? { ok: false, failure: "bad-signature", message: error.message, appId }
      : { ok: false, failure: "unknown-app", message: "Unknown X-App-Id", appId };
  }
  const given = Buffer.from(signature.toLowerCase(), "utf8");
  // Every secret is checked so the time taken does not reveal which one matched; an unknown
  // app is checked against a stand-in key, so its time does not tell it from a bad signature.
  let matched = false;
  for (const secret of known ? secrets : [UNKNOWN_APP_STAND_IN]) {
    const expected = Buffer.from(hmacSha256Hex(secret, canonical), "utf8");
    if (expected.length === given.length && timingSafeEqual(expected, given)) matched = true;
  }
  if (!known) return { ok: false, failure: "unknown-app", message: "Unknown X-App-Id", appId };
  return matched
    ? { ok: true, appId }
    : { ok: false, failure: "bad-signature", message: "X-Signature does not match the request", appId };
};
