/**
 * The request signature of DESIGN.md, used for outbound Procure-Core calls and for
 * verifying inbound calls alike (and by the Procure-Core sandbox):
 *
 *   X-Signature = hex(HMAC-SHA256(secret, METHOD + "\n" + PATH_AND_QUERY + "\n" + X-Timestamp + "\n" + RAW_BODY))
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
  /** Path plus query string exactly as sent, e.g. `/api/v1/intents?status=SUBMITTED`. */
  pathAndQuery: string;
  timestamp: string;
  /** The raw body; empty string when there is none. */
  body: string;
}

/** The exact text that is signed. */
export const canonicalRequest = ({ method, pathAndQuery, timestamp, body }: SignableRequest): string =>
  `${method.toUpperCase()}\n${pathAndQuery}\n${timestamp}\n${body}`;

/**
 * The keyed-hash primitive under every signature: lowercase hex HMAC-SHA256. Exported so
 * it can be checked against published vectors (RFC 4231), whose keys and data are bytes.
 */
export const hmacSha256Hex = (key: string | Uint8Array, message: string | Uint8Array): string => {
  const hmac = createHmac("sha256", key);
  return (typeof message === "string" ? hmac.update(message, "utf8") : hmac.update(message)).digest("hex");
};

/** Lowercase hex HMAC-SHA256 of the canonical request. */
export const computeSignature = (secret: string, request: SignableRequest): string =>
  hmacSha256Hex(secret, canonicalRequest(request));

/** Headers for an outbound signed request. */
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
  pathAndQuery: string;
  body: string;
  nowMs: number;
  /** The app's current secrets (two while rotating), or undefined for an unknown app. */
  secretsFor: (appId: string) => readonly string[] | undefined;
  toleranceMs?: number;
}

/** Checks an inbound signed request. The verdict names the reason, never a secret. */
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
  if (!secrets || secrets.length === 0) {
    return { ok: false, failure: "unknown-app", message: "Unknown X-App-Id", appId };
  }
  const given = Buffer.from(signature.toLowerCase(), "utf8");
  const request = { method: input.method, pathAndQuery: input.pathAndQuery, timestamp, body: input.body };
  // Every secret is checked so the time taken does not reveal which one matched.
  let matched = false;
  for (const secret of secrets) {
    const expected = Buffer.from(computeSignature(secret, request), "utf8");
    if (expected.length === given.length && timingSafeEqual(expected, given)) matched = true;
  }
  return matched
    ? { ok: true, appId }
    : { ok: false, failure: "bad-signature", message: "X-Signature does not match the request", appId };
};
