/**
 * fast-check generators for case 4: HTTP requests that each carry at least one defect the
 * service must refuse before calling an upstream (bad auth, a garbage id, a bad body, a
 * wrong method or route, a bad Idempotency-Key, an oversized body, a wallet outside the
 * token's scope, an id the upstream client will not send). Everything else about a request is random too — valid most of the time, so a
 * request often has exactly one defect and reaches deep into the handler.
 *
 * A request is generated as a description (`FuzzRequest`); `toEvent` turns it into an
 * API Gateway event at run time (signatures need the current time).
 */
import { createHash } from "node:crypto";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import fc from "fast-check";
import { signRequest, UnsignablePathError } from "#adapters/http/request-signature.ts";
import { A55_DEMO_OTHER_WALLET, A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { apiGatewayV2Event } from "#test/support/lambda-events.ts";
import {
  anyText,
  chosen,
  encodeSegment,
  encoding,
  garbageId,
  garbageUuid,
  mostly,
  notAString,
  sendableId,
  unsendableId,
  validEncoding,
  withQuery,
} from "./fuzz-values.ts";

export type RouteKind = "intent" | "charge" | "order" | "audit" | "unknown";

export type Defect =
  | "auth"
  | "id"
  /** Passes the route's id rule but not the upstream client's (`.` and `:`): must not be sent. */
  | "unsendable-id"
  | "body"
  | "method"
  | "idempotency-key"
  | "size"
  | "scope"
  | "limit"
  /** A forged cursor (valid base64url JSON, a key of the wrong shape): a 400, never a DynamoDB call. */
  | "cursor"
  /** A body that is not UTF-8: refused, never repaired with U+FFFD. */
  | "encoding"
  | "route"
  /** Only for the audit route, which never calls an upstream: a valid request. */
  | "none";

export type AuthMode =
  | { kind: "signed" }
  | { kind: "signed-garbage-signature"; garbage: string }
  | { kind: "signed-wrong-secret"; secret: string }
  | { kind: "signed-skewed"; skewMs: number }
  | { kind: "signed-unknown-app"; appId: string }
  | { kind: "signed-partial"; drop: "x-app-id" | "x-timestamp" | "x-signature" }
  | { kind: "signed-garbage-timestamp"; timestamp: string }
  | { kind: "bearer"; token: "narrow" | "wide" }
  | { kind: "bearer-garbage"; garbage: string }
  | { kind: "bearer-malformed"; header: string }
  | { kind: "none" };

export interface FuzzRequest {
  route: RouteKind;
  defect: Defect;
  method: string;
  /** Path and query, as the client sent them. */
  path: string;
  auth: AuthMode;
  headers: Record<string, string>;
  /** The body before any base64 encoding; undefined: none. */
  body: string | undefined;
  /**
   * `faithful`: sent base64-encoded with the flag; `lying`: the flag is set on a plain body;
   * `not-utf8`: base64-encoded with a byte no UTF-8 text holds spliced in.
   */
  base64: "no" | "faithful" | "lying" | "not-utf8";
}

// ---- auth --------------------------------------------------------------------------------

const garbageCredential = fc.oneof(
  fc.stringMatching(/^[0-9a-f]{64}$/),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }),
  fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 40 }),
  fc.string({ unit: fc.constantFrom("A", "b", "9", "="), minLength: 9_000, maxLength: 12_000 }),
);

const badSignedAuth: fc.Arbitrary<AuthMode> = fc.oneof(
  garbageCredential.map((garbage) => ({ kind: "signed-garbage-signature", garbage }) as const),
  fc.stringMatching(/^[a-z0-9]{16,40}$/).map((secret) => ({ kind: "signed-wrong-secret", secret }) as const),
  fc
    .oneof(
      fc.integer({ min: 5 * 60_000 + 1_000, max: 10 ** 10 }),
      fc.integer({ min: -(10 ** 10), max: -(5 * 60_000 + 1_000) }),
    )
    .map((skewMs) => ({ kind: "signed-skewed", skewMs }) as const),
  fc
    .oneof(fc.stringMatching(/^[a-z_]{1,20}$/), anyText)
    .filter((appId) => appId !== "storefront_app")
    .map((appId) => ({ kind: "signed-unknown-app", appId }) as const),
  fc
    .constantFrom("x-app-id", "x-timestamp", "x-signature")
    .map((drop) => ({ kind: "signed-partial", drop }) as AuthMode),
  fc
    .oneof(fc.constantFrom("", "now", "1e3", "-1", "0x10", "NaN", "Infinity", " 123"), anyText)
    .map((timestamp) => ({ kind: "signed-garbage-timestamp", timestamp }) as const),
);

const badBearerAuth: fc.Arbitrary<AuthMode> = fc.oneof(
  garbageCredential.map((garbage) => ({ kind: "bearer-garbage", garbage }) as const),
  fc
    .oneof(
      fc.constantFrom(
        "Bearer",
        "Bearer ",
        "Bearer  a b",
        "Basic dXNlcjpwYXNz",
        "bearer",
        "Token abc",
        "Bearer\t",
      ),
      anyText,
    )
    .map((header) => ({ kind: "bearer-malformed", header }) as const),
);

/** Auth that fails for the route; bearer routes count signed headers as no auth and vice versa. */
const badAuthFor = (route: RouteKind): fc.Arbitrary<AuthMode> =>
  route === "charge"
    ? fc.oneof(badBearerAuth, badSignedAuth, fc.constant({ kind: "none" } as const))
    : fc.oneof(badSignedAuth, badBearerAuth, fc.constant({ kind: "none" } as const));

const goodAuthFor = (route: RouteKind): fc.Arbitrary<AuthMode> =>
  route === "charge"
    ? fc.constantFrom<AuthMode>({ kind: "bearer", token: "narrow" }, { kind: "bearer", token: "wide" })
    : fc.constant({ kind: "signed" } as const);

// ---- bodies ------------------------------------------------------------------------------

const nested = (depth: number, open: string, close: string, inner = ""): string =>
  `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

/** Deep JSON the intent and charge routes refuse: arrays, or a `reason` that is not a string. */
const deepBadReason = fc
  .integer({ min: 50, max: 5_000 })
  .chain((depth) =>
    fc.constantFrom(
      nested(depth, "[", "]"),
      `{"reason":${nested(depth, "[", "]")}}`,
      `{"reason":${nested(depth, '{"a":', "}", "1")}}`,
    ),
  );

/** Deep JSON objects without `reason`: fine for the intent and charge routes (unknown keys are ignored), not for orders. */
const deepObject = fc
  .integer({ min: 50, max: 5_000 })
  .chain((depth) =>
    fc.constantFrom(nested(depth, '{"a":', "}", "1"), `{"charge":${nested(depth, '{"a":', "}", "1")}}`),
  );

/** A reason holding a character no stored text may hold: refused at every door. */
const controlReason = fc
  .tuple(
    fc.string({ maxLength: 40 }),
    fc.constantFrom(
      "\u0000",
      "\u0007",
      "\n",
      "\r\n",
      "\t",
      "\u001b[2J",
      "\u007f",
      "\u0085",
      "\u009b",
      "\u2028",
      "\udc00",
    ),
    fc.string({ maxLength: 40 }),
  )
  .map(([a, c, b]) => `${a}${c}${b}`);

const badReasonBody: fc.Arbitrary<string> = fc.oneof(
  anyText.map((s) => `{'${s}`),
  anyText.map((s) => `<xml>${s}`),
  fc
    .oneof(
      fc.integer(),
      fc.string({ maxLength: 20 }),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.jsonValue(), { maxLength: 3 }),
    )
    .map((v) => JSON.stringify(v)),
  notAString.map((reason) => JSON.stringify({ reason })),
  controlReason.map((reason) => JSON.stringify({ reason })),
  fc
    .string({ unit: fc.constantFrom("x", "é", " "), minLength: 501, maxLength: 2_000 })
    .map((reason) => JSON.stringify({ reason })),
  deepBadReason,
);

const goodReasonBody: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 200 }).map((reason) => JSON.stringify({ reason })),
  fc.constant("{}"),
  deepObject,
);

const orderBodyFrom = (intentId: fc.Arbitrary<string | undefined>, charge: fc.Arbitrary<unknown>) =>
  fc
    .record({ intentId, charge, reason: fc.option(fc.string({ maxLength: 100 }), { nil: undefined }) })
    .map((body) => JSON.stringify(body));

const goodOrderBody = orderBodyFrom(
  sendableId,
  fc.option(fc.record({ chargeUuid: fc.uuid(), walletUuid: fc.constant(A55_DEMO_WALLET) }), {
    nil: undefined,
  }),
);

/** Bodies the order route refuses. */
const badOrderBody: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant("{}"),
  badReasonBody,
  deepObject,
  orderBodyFrom(garbageId, fc.constant(undefined)),
  orderBodyFrom(fc.constant(undefined), fc.record({ chargeUuid: garbageUuid, walletUuid: fc.uuid() })),
  orderBodyFrom(fc.constant(undefined), notAString),
  notAString.map((intentId) => JSON.stringify({ intentId })),
);

const oversized = fc
  .integer({ min: 16_385, max: 40_000 })
  .map((size) => JSON.stringify({ reason: "x".repeat(size) }));

// ---- headers -----------------------------------------------------------------------------

const garbageKey = fc.oneof(
  fc
    .tuple(
      fc.string({ maxLength: 10 }),
      fc.constantFrom(" ", "é", "\t", "😀", "\u007f", "\n"),
      fc.string({ maxLength: 10 }),
    )
    .map(([a, bad, b]) => `${a}${bad}${b}`),
  fc.string({ unit: fc.constantFrom("k", "E", "-"), minLength: 256, maxLength: 600 }),
);

const extraHeaders: fc.Arbitrary<Record<string, string>> = fc
  .tuple(
    fc.dictionary(
      fc.stringMatching(/^x-fuzz-[a-z0-9-]{1,16}$/),
      fc.oneof(
        { arbitrary: fc.string({ maxLength: 40 }), weight: 8 },
        { arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }), weight: 3 },
        {
          arbitrary: fc.string({ unit: fc.constantFrom("h", "U", "%"), minLength: 8_000, maxLength: 20_000 }),
          weight: 1,
        },
      ),
      { maxKeys: 3 },
    ),
    fc.option(fc.oneof(anyText, fc.stringMatching(/^[\w.:-]{1,128}$/)), { nil: undefined }),
    fc.option(
      fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", "", "💥"),
      {
        nil: undefined,
      },
    ),
  )
  .map(([extra, correlation, contentType]) => ({
    ...extra,
    ...(correlation === undefined ? {} : { "x-correlation-id": correlation }),
    ...(contentType === undefined ? {} : { "content-type": contentType }),
  }));

// ---- requests ----------------------------------------------------------------------------

const POST_ONLY_WRONG = ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO"];
const GET_ONLY_WRONG = ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO"];

const DEFECTS_OF: Record<RouteKind, Defect[]> = {
  intent: ["auth", "id", "unsendable-id", "body", "method", "idempotency-key", "size", "encoding"],
  charge: ["auth", "id", "scope", "body", "method", "idempotency-key", "size", "encoding"],
  order: ["auth", "id", "unsendable-id", "body", "method", "idempotency-key", "size", "encoding"],
  audit: ["auth", "id", "method", "limit", "cursor", "none"],
  unknown: ["route"],
};

/** The four route shapes this fuzzer aims at (docs/api.md, "Routes"), written from the docs (not imported from the service). */
const ROUTE_SHAPES = [
  /^\/api\/v1\/intents\/[^/]+\/cancel$/,
  /^\/api\/v1\/bank\/wallet\/charge\/[^/]+\/cancel\/[^/]+\/?$/,
  /^\/api\/v1\/orders\/[^/]+\/cancel$/,
  /^\/api\/v1\/cancellations\/[^/]+\/[^/]+$/,
];

const unknownPath = fc
  .oneof(
    fc
      .tuple(
        fc.constantFrom(
          "/api/v1/intents/#/cancel/x",
          "/api/v1/intents/#",
          "/api/v2/intents/#/cancel",
          "/API/V1/intents/#/cancel",
          "/api/v1/orders/#/cancel/",
          "/api/v1/bank/wallet/charge/#/cancel",
          "/api/v1/bank/wallet/charge/#/refund/#/",
          "/api/v1/cancellations/#",
          "/api/v1/intents/#/../cancel",
          "/api/v1/intents/#/cancel/..",
          "/",
          "",
          "//api//v1//intents//#//cancel",
        ),
        anyText,
      )
      .map(([shape, segment]) => shape.replaceAll("#", encodeSegment(segment, "raw"))),
    fc.webPath(),
    anyText.map((text) => `/${encodeSegment(text, "raw")}`),
  )
  .filter((path) => !ROUTE_SHAPES.some((shape) => shape.test(path)));

/** A key value of the wrong type or size for a DynamoDB key attribute. */
const badKeyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer().map((n) => ({ n: String(n) })),
  fc.constant(""),
  fc.string({ unit: fc.constantFrom("x", "é"), minLength: 1_100, maxLength: 2_200 }),
  fc.stringMatching(/^[1-9][0-9]{38,70}$/).map((n) => ({ n })),
  fc.string({ maxLength: 10 }).map((n) => ({ n })),
  fc.constant("\ud800"),
  fc.jsonValue(),
);

/** base64url JSON shaped like a cursor, with at least one key attribute of the wrong type or size. */
const forgedCursor: fc.Arbitrary<string> = fc
  .record({ pk: fc.oneof(fc.string({ maxLength: 20 }), badKeyValue), sk: badKeyValue })
  .map((key) => Buffer.from(JSON.stringify(key), "utf8").toString("base64url"));

const pathArb = (route: RouteKind, defect: Defect): fc.Arbitrary<string> => {
  const isIdDefect = defect === "id";
  switch (route) {
    case "intent":
      return fc
        .tuple(
          defect === "unsendable-id"
            ? unsendableId.map((id) => ({ id, how: "encoded" as const }))
            : chosen(
                isIdDefect,
                fc.record({ id: sendableId, how: validEncoding }),
                fc.record({ id: garbageId, how: encoding }),
              ),
        )
        .chain(([{ id, how }]) => withQuery(`/api/v1/intents/${encodeSegment(id, how)}/cancel`));
    case "charge": {
      const wallet =
        defect === "scope"
          ? fc.oneof(
              fc.constant(A55_DEMO_OTHER_WALLET),
              fc.uuid().filter((u) => u !== A55_DEMO_WALLET),
            )
          : fc.constant(A55_DEMO_WALLET);
      const chargeAndWallet = isIdDefect
        ? fc.oneof(
            fc.tuple(garbageUuid, wallet.map(String)),
            fc.tuple(fc.uuid(), garbageUuid),
            fc.tuple(garbageUuid, garbageUuid),
          )
        : fc.tuple(mostly(fc.uuid(), garbageUuid), wallet);
      return fc
        .tuple(chargeAndWallet, isIdDefect ? encoding : validEncoding, fc.boolean())
        .chain(([[charge, walletUuid], how, slash]) =>
          withQuery(
            `/api/v1/bank/wallet/charge/${encodeSegment(charge, how)}/cancel/${encodeSegment(walletUuid, how)}${slash ? "/" : ""}`,
          ),
        );
    }
    case "order":
      return fc
        .tuple(chosen(isIdDefect, sendableId, garbageId), isIdDefect ? encoding : validEncoding)
        .chain(([id, how]) => withQuery(`/api/v1/orders/${encodeSegment(id, how)}/cancel`));
    case "audit": {
      const typeAndId = isIdDefect
        ? fc.oneof(
            fc.tuple(fc.oneof(garbageId, fc.constantFrom("event", "intents", "CHARGE")), sendableId),
            fc.tuple(fc.constantFrom("intent", "order"), garbageId),
            fc.tuple(fc.constant("charge"), garbageUuid),
          )
        : fc.oneof(
            fc.tuple(fc.constantFrom("intent", "order"), sendableId),
            fc.tuple(fc.constant("charge"), fc.uuid()),
          );
      const limit =
        defect === "limit"
          ? fc
              .constantFrom(
                "0",
                "101",
                "-1",
                "1.5",
                "abc",
                "",
                "1e3",
                "%zz",
                "99999999999999999999",
                "1e2",
                "0x10",
                "%2B5",
                "%205",
                "5.0",
              )
              .map((l) => `?limit=${l}`)
          : defect === "cursor"
            ? forgedCursor.map((cursor) => `?cursor=${cursor}`)
            : fc.constantFrom("", "?limit=1", "?limit=100", "?limit=5&cursor=");
      return fc
        .tuple(typeAndId, isIdDefect ? encoding : validEncoding, limit)
        .map(
          ([[type, id], how, query]) =>
            `/api/v1/cancellations/${encodeSegment(type, how)}/${encodeSegment(id, how)}${query}`,
        );
    }
    case "unknown":
      return unknownPath;
  }
};

const methodArb = (route: RouteKind, defect: Defect): fc.Arbitrary<string> => {
  if (route === "unknown") return fc.constantFrom("GET", "POST", "PUT", "DELETE");
  const right = route === "audit" ? "GET" : "POST";
  const wrong = fc.constantFrom(...(route === "audit" ? GET_ONLY_WRONG : POST_ONLY_WRONG));
  return defect === "method" ? wrong : mostly(fc.constant(right), wrong);
};

const bodyArb = (route: RouteKind, defect: Defect): fc.Arbitrary<string | undefined> => {
  if (defect === "size") return oversized;
  if (route === "order") {
    if (defect === "unsendable-id") return orderBodyFrom(unsendableId, fc.constant(undefined));
    return chosen(defect === "body", goodOrderBody, badOrderBody);
  }
  if (route === "intent" || route === "charge")
    return chosen(defect === "body", goodReasonBody, badReasonBody);
  return fc.oneof(fc.constant(undefined), badReasonBody);
};

const keyArb = (route: RouteKind, defect: Defect): fc.Arbitrary<string | undefined> => {
  const valid = route === "order" ? fc.uuid() : fc.option(fc.uuid(), { nil: undefined });
  const invalid = route === "order" ? fc.oneof(garbageKey, fc.constant(undefined)) : garbageKey;
  return chosen(defect === "idempotency-key", valid, invalid);
};

/** One HTTP request with at least one defect (or, for the audit route only, possibly none). */
export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc
  .constantFrom<RouteKind>("intent", "charge", "order", "audit", "unknown")
  .chain((route) => fc.tuple(fc.constant(route), fc.constantFrom(...DEFECTS_OF[route])))
  .chain(([route, defect]) =>
    fc.record({
      route: fc.constant(route),
      defect: fc.constant(defect),
      method: methodArb(route, defect),
      path: pathArb(route, defect),
      auth:
        defect === "scope"
          ? fc.constant<AuthMode>({ kind: "bearer", token: "narrow" })
          : chosen(defect === "auth", goodAuthFor(route), badAuthFor(route)),
      headers: fc
        .tuple(extraHeaders, keyArb(route, defect))
        .map(([headers, key]) => (key === undefined ? headers : { ...headers, "idempotency-key": key })),
      body: bodyArb(route, defect),
      // A lying flag makes the service decode the text as base64, which can turn a bad body
      // into an empty (valid) one: only when the defect lies elsewhere.
      base64:
        defect === "encoding"
          ? fc.constant<FuzzRequest["base64"]>("not-utf8")
          : fc.constantFrom<FuzzRequest["base64"]>(
              ...(defect === "body" || defect === "size"
                ? (["no", "faithful"] as const)
                : (["no", "faithful", "lying"] as const)),
            ),
    }),
  );

/** What `toEvent` needs from the kit. */
export interface FuzzCredentials {
  app: { appId: string; secret: string };
  clientToken: string;
  wideClientToken: string;
}

/** A credential-shaped value made unique, so the log scan can tell it apart from anything else. */
export const uniqueCredential = (garbage: string, serial: number): string =>
  `${garbage}${createHash("sha256").update(`fuzz-credential-${serial}`).digest("hex").slice(0, 20)}`;

/**
 * The request as API Gateway would deliver it, signed now where its auth says so.
 * `credentialsSent` receives every signature and token value it carries.
 */
export const toEvent = (
  request: FuzzRequest,
  credentials: FuzzCredentials,
  serial: number,
  credentialsSent: (value: string) => void,
): APIGatewayProxyEventV2 => {
  const headers: Record<string, string> = { ...request.headers };
  const raw = request.body;
  const sign = (secret: string, appId: string, at: number) => {
    try {
      return signRequest(
        { appId, appSecret: secret },
        { method: request.method, pathAndQuery: request.path, body: raw ?? "" },
        at,
      );
    } catch (error) {
      // A path with no canonical form (docs/signing.md) cannot be signed: a signature that cannot match.
      if (!(error instanceof UnsignablePathError)) throw error;
      return {
        "X-App-Id": appId,
        "X-Timestamp": String(at),
        "X-Signature": uniqueCredential("unsignable", serial),
      };
    }
  };
  const auth = request.auth;
  const now = Date.now();
  const signed = (value: Record<string, string>): void => {
    for (const [name, v] of Object.entries(value)) headers[name.toLowerCase()] = v;
  };
  switch (auth.kind) {
    case "signed":
      signed(sign(credentials.app.secret, credentials.app.appId, now));
      break;
    case "signed-garbage-signature":
      signed({
        ...sign(credentials.app.secret, credentials.app.appId, now),
        "X-Signature": uniqueCredential(auth.garbage, serial),
      });
      break;
    case "signed-wrong-secret":
      signed(sign(auth.secret, credentials.app.appId, now));
      break;
    case "signed-skewed":
      signed(sign(credentials.app.secret, credentials.app.appId, now + auth.skewMs));
      break;
    case "signed-unknown-app":
      signed(sign(credentials.app.secret, auth.appId, now));
      break;
    case "signed-partial": {
      signed(sign(credentials.app.secret, credentials.app.appId, now));
      delete headers[auth.drop];
      break;
    }
    case "signed-garbage-timestamp":
      signed({ ...sign(credentials.app.secret, credentials.app.appId, now), "X-Timestamp": auth.timestamp });
      break;
    case "bearer":
      headers.authorization = `Bearer ${auth.token === "narrow" ? credentials.clientToken : credentials.wideClientToken}`;
      break;
    case "bearer-garbage":
      headers.authorization = `Bearer ${uniqueCredential(auth.garbage, serial)}`;
      break;
    case "bearer-malformed":
      headers.authorization = auth.header;
      break;
    case "none":
      break;
  }
  if (headers["x-signature"]) credentialsSent(headers["x-signature"]);
  const bearer = /^Bearer\s+(\S+)/i.exec(headers.authorization ?? "")?.[1];
  if (bearer) credentialsSent(bearer);

  const event = apiGatewayV2Event({
    method: request.method,
    path: request.path,
    headers,
    ...(raw === undefined ? {} : { body: raw }),
  });
  if (raw !== undefined && request.base64 === "faithful") {
    event.body = Buffer.from(raw, "utf8").toString("base64");
    event.isBase64Encoded = true;
  } else if (raw !== undefined && request.base64 === "lying") {
    event.isBase64Encoded = true;
  } else if (request.base64 === "not-utf8") {
    const bytes = Buffer.from(raw ?? "", "utf8");
    const at = Math.floor(bytes.length / 2);
    // 0xFF never occurs in UTF-8; a lone continuation byte (0x80) never starts a character.
    event.body = Buffer.concat([
      bytes.subarray(0, at),
      Buffer.from([0xff, 0x80]),
      bytes.subarray(at),
    ]).toString("base64");
    event.isBase64Encoded = true;
  }
  return event;
};
