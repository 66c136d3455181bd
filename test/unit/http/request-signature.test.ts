import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  canonicalPath,
  canonicalPathAndQuery,
  canonicalRequest,
  computeSignature,
  DEFAULT_TOLERANCE_MS,
  hmacSha256Hex,
  type SignableRequest,
  signRequest,
  UnsignablePathError,
  verifySignature,
} from "#adapters/http/request-signature.ts";
import { httpApiRawPath } from "#local/stack/api-gateway-event.ts";

const bytes = (byte: number, length: number): Uint8Array => new Uint8Array(length).fill(byte);

/** RFC 4231 section 4: HMAC-SHA-256 test cases (keys and data are bytes). */
const RFC_4231: { name: string; key: Uint8Array | string; data: Uint8Array | string; hmac: string }[] = [
  {
    name: "test case 1",
    key: bytes(0x0b, 20),
    data: "Hi There",
    hmac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
  },
  {
    name: "test case 2 (key shorter than the output)",
    key: "Jefe",
    data: "what do ya want for nothing?",
    hmac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  },
  {
    name: "test case 3 (combined length of key and data > 64 bytes)",
    key: bytes(0xaa, 20),
    data: bytes(0xdd, 50),
    hmac: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
  },
  {
    name: "test case 4",
    key: Uint8Array.from({ length: 25 }, (_, i) => i + 1),
    data: bytes(0xcd, 50),
    hmac: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
  },
  {
    name: "test case 6 (key larger than the block size)",
    key: bytes(0xaa, 131),
    data: "Test Using Larger Than Block-Size Key - Hash Key First",
    hmac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
  },
  {
    name: "test case 7 (key and data larger than the block size)",
    key: bytes(0xaa, 131),
    data: "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
    hmac: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
  },
];

/**
 * Our scheme, computed once and hard-coded; each was cross-checked with an independent
 * implementation, e.g. for the first:
 *   printf 'POST\n/api/v1/intents/intent_67890/cancel\n1772019000000\n' | openssl dgst -sha256 -hmac dev_secret_local
 */
const OUR_VECTORS: {
  name: string;
  secret: string;
  request: SignableRequest;
  canonical: string;
  signature: string;
}[] = [
  {
    name: "the seed's cancel, no body",
    secret: "dev_secret_local",
    request: {
      method: "POST",
      pathAndQuery: "/api/v1/intents/intent_67890/cancel",
      timestamp: "1772019000000",
      body: "",
    },
    canonical: "POST\n/api/v1/intents/intent_67890/cancel\n1772019000000\n",
    signature: "8c71bdae19a423e2c88b59c75cb7c7f76158b3a4cd1bad09f9072bf6b4ea961d",
  },
  {
    name: "a listing, query signed as sent",
    secret: "dev_secret_local",
    request: {
      method: "GET",
      pathAndQuery: "/api/v1/intents?status=SUBMITTED&sortBy=createdAt&order=asc",
      timestamp: "1772019000000",
      body: "",
    },
    canonical: "GET\n/api/v1/intents?status=SUBMITTED&sortBy=createdAt&order=asc\n1772019000000\n",
    signature: "fa5f941e302b6f723c649dcfc85c95d4ebcd048e7c59e5a38f311ae39f62d5f6",
  },
  {
    name: "a JSON body with non-ASCII text (signed as UTF-8)",
    secret: "dev_secret_local",
    request: {
      method: "POST",
      pathAndQuery: "/api/v1/orders/order_1/cancel",
      timestamp: "1772019000000",
      body: '{"intentId":"intent_67890","reason":"用户取消"}',
    },
    canonical:
      'POST\n/api/v1/orders/order_1/cancel\n1772019000000\n{"intentId":"intent_67890","reason":"用户取消"}',
    signature: "d8ff1ec784f229faa1b352c5fd638c950d0f66cf6d8b9d8c58815b84691f071f",
  },
  {
    // docs/signing.md's worked example: the path as API Gateway HTTP APIs hand it (decoded).
    name: "an order id with '.', ':' and '-', path decoded (docs/signing.md example)",
    secret: "dev_secret_local",
    request: {
      method: "POST",
      pathAndQuery: "/api/v1/orders/eu.shop:order-1001/cancel",
      timestamp: "1772019000000",
      body: '{"intentId":"intent_67890"}',
    },
    canonical: 'POST\n/api/v1/orders/eu.shop%3Aorder-1001/cancel\n1772019000000\n{"intentId":"intent_67890"}',
    signature: "68f8017a14e6a3f61eb2a31e44d6474b421c8cf4108354b38fa25edcaa56e9f4",
  },
  {
    name: "the same request, path encoded as the client sends it",
    secret: "dev_secret_local",
    request: {
      method: "POST",
      pathAndQuery: "/api/v1/orders/eu.shop%3Aorder-1001/cancel",
      timestamp: "1772019000000",
      body: '{"intentId":"intent_67890"}',
    },
    canonical: 'POST\n/api/v1/orders/eu.shop%3Aorder-1001/cancel\n1772019000000\n{"intentId":"intent_67890"}',
    signature: "68f8017a14e6a3f61eb2a31e44d6474b421c8cf4108354b38fa25edcaa56e9f4",
  },
];

const NOW = 1_772_019_000_000;
const SECRET = "dev_secret_local";

/** A signed request as a server would receive it. */
const signed = (overrides: Partial<SignableRequest> = {}, secret = SECRET, appId = "dev_app_local") => {
  const request = {
    method: "POST",
    pathAndQuery: "/api/v1/intents/intent_67890/cancel",
    body: "",
    ...overrides,
  };
  const nowMs = overrides.timestamp === undefined ? NOW : Number(overrides.timestamp);
  const headers: Record<string, string> = Object.fromEntries(
    Object.entries(signRequest({ appId, appSecret: secret }, request, nowMs)).map(([k, v]) => [
      k.toLowerCase(),
      v,
    ]),
  );
  return { request, headers };
};

const verify = (
  headers: Record<string, string>,
  request: { method: string; pathAndQuery: string; body: string },
  options: { nowMs?: number; apps?: Record<string, string[]> } = {},
) =>
  verifySignature({
    header: (name) => headers[name.toLowerCase()],
    ...request,
    nowMs: options.nowMs ?? NOW,
    secretsFor: (appId) => (options.apps ?? { dev_app_local: [SECRET] })[appId],
  });

describe("hmacSha256Hex (the primitive under every signature)", () => {
  it.each(RFC_4231)("matches RFC 4231 $name", ({ key, data, hmac }) => {
    expect(hmacSha256Hex(key, data)).toBe(hmac);
  });

  it("matches RFC 4231 test case 5 truncated to 128 bits", () => {
    expect(hmacSha256Hex(bytes(0x0c, 20), "Test With Truncation").slice(0, 32)).toBe(
      "a3b6167473100ee06e0c796c2955552b",
    );
  });
});

describe("computeSignature (our scheme)", () => {
  it.each(OUR_VECTORS)("signs $name", ({ secret, request, canonical, signature }) => {
    // Printed so docs/signing.md can show how to sign by hand.
    console.log(
      `canonical request for ${request.method} ${request.pathAndQuery}:\n${JSON.stringify(canonical)}`,
    );
    expect(canonicalRequest(request)).toBe(canonical);
    expect(hmacSha256Hex(secret, canonical)).toBe(signature);
    expect(computeSignature(secret, request)).toBe(signature);
  });

  it("upper-cases the method before signing", () => {
    const vector = OUR_VECTORS[0];
    if (!vector) throw new Error("no vector");
    expect(computeSignature(vector.secret, { ...vector.request, method: "post" })).toBe(vector.signature);
  });

  it("signRequest puts the timestamp it signed into X-Timestamp", () => {
    const vector = OUR_VECTORS[0];
    if (!vector) throw new Error("no vector");
    const { timestamp: _timestamp, ...request } = vector.request;
    expect(signRequest({ appId: "dev_app_local", appSecret: vector.secret }, request, NOW)).toEqual({
      "X-App-Id": "dev_app_local",
      "X-Timestamp": "1772019000000",
      "X-Signature": vector.signature,
    });
  });
});

describe("canonicalPath (one rule for encoded and decoded paths)", () => {
  it.each([
    ["an unreserved-only path", "/api/v1/intents/intent_67890/cancel", "/api/v1/intents/intent_67890/cancel"],
    ["':' as sent", "/api/v1/orders/order:1001/cancel", "/api/v1/orders/order%3A1001/cancel"],
    ["':' encoded", "/api/v1/orders/order%3A1001/cancel", "/api/v1/orders/order%3A1001/cancel"],
    ["lower-case hex", "/api/v1/orders/order%3a1001/cancel", "/api/v1/orders/order%3A1001/cancel"],
    [
      "an unreserved character escaped",
      "/api/v1/orders/%6Frder-1%2E2_3%7E/cancel",
      "/api/v1/orders/order-1.2_3~/cancel",
    ],
    ["sub-delimiters", "/a/!$&'()*+,;=@", "/a/%21%24%26%27%28%29%2A%2B%2C%3B%3D%40"],
    ["a space, raw or escaped", "/a/b c/b%20c", "/a/b%20c/b%20c"],
    ["non-ASCII", "/a/用户/%E7%94%A8%E6%88%B7", "/a/%E7%94%A8%E6%88%B7/%E7%94%A8%E6%88%B7"],
    ["an escaped slash (API Gateway splits it too)", "/a/b%2Fc", "/a/b/c"],
    ["a trailing slash and an empty segment", "/a//b/", "/a//b/"],
  ])("%s", (_name, path, canonical) => {
    expect(canonicalPath(path)).toBe(canonical);
  });

  it.each([
    ["a malformed escape", "/a/%zz"],
    ["an escape that is not UTF-8", "/a/%E0%A4"],
    ["a '%' left once decoded (API Gateway would decode it again)", "/api/v1/orders/order%253A1/cancel"],
    ["a lone surrogate", "/a/\uD800"],
  ])("refuses %s", (_name, path) => {
    expect(() => canonicalPath(path)).toThrow(UnsignablePathError);
  });

  it("gives a path of unreserved characters back as it is, the same as its fully escaped spelling gives", () => {
    // The unreserved-only path skips decoding and re-encoding: this checks the shortcut against the full rule.
    const unreserved = fc.constantFrom(..."ABCXYZabcxyz0189-._~".split(""));
    const segment = fc.array(unreserved, { maxLength: 12 }).map((chars) => chars.join(""));
    const escaped = (text: string): string =>
      [...text].map((char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`).join("");
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), (segments) => {
        const path = `/${segments.join("/")}`;
        expect(canonicalPath(path)).toBe(path);
        expect(canonicalPath(`/${segments.map(escaped).join("/")}`)).toBe(path);
      }),
    );
  });

  it("keeps the query string exactly as sent", () => {
    expect(canonicalPathAndQuery("/api/v1/cancellations/order/o%3A1?limit=5&cursor=a%2Fb+c")).toBe(
      "/api/v1/cancellations/order/o%3A1?limit=5&cursor=a%2Fb+c",
    );
  });

  // Every id this API accepts, and the escapes a client may put in it.
  const IDS_AS_SENT = [
    "order:1001",
    "order%3A1001",
    "eu.shop:order-1001_a",
    "eu%2Eshop%3Aorder%2D1001%5Fa",
    "%6Frder_1",
    "a-b.c:d_e",
  ];

  it.each(IDS_AS_SENT)(
    "a request signed over /orders/%s verifies with the path API Gateway hands the function",
    (id) => {
      // Prepare
      const sent = `/api/v1/orders/${id}/cancel?trace=a%2Fb`;
      const { request, headers } = signed({ pathAndQuery: sent, body: '{"intentId":"intent_67890"}' });
      const handed = `${httpApiRawPath(`/api/v1/orders/${id}/cancel`)}?trace=a%2Fb`;

      // Act
      const asHanded = verify(headers, { ...request, pathAndQuery: handed });
      const asSent = verify(headers, request);

      // Assess
      expect(handed).not.toContain("%3A");
      expect(asHanded).toEqual({ ok: true, appId: "dev_app_local" });
      expect(asSent).toEqual({ ok: true, appId: "dev_app_local" });
    },
  );

  it("binds the decoded id: order:1001 and order_1001 sign differently", () => {
    const { request, headers } = signed({ pathAndQuery: "/api/v1/orders/order%3A1001/cancel" });
    expect(verify(headers, { ...request, pathAndQuery: "/api/v1/orders/order_1001/cancel" })).toMatchObject({
      ok: false,
      failure: "bad-signature",
    });
  });

  it("answers bad-signature, without throwing, for a path that has no canonical form", () => {
    const { request, headers } = signed();
    expect(verify(headers, { ...request, pathAndQuery: "/api/v1/intents/%zz/cancel" })).toMatchObject({
      ok: false,
      failure: "bad-signature",
      message: expect.stringContaining("percent-escape"),
    });
  });

  it("refuses to sign a path that would reach the function as another path", () => {
    expect(() =>
      signRequest(
        { appId: "dev_app_local", appSecret: SECRET },
        { method: "POST", pathAndQuery: "/api/v1/orders/order%253A1/cancel", body: "" },
        NOW,
      ),
    ).toThrow(UnsignablePathError);
  });
});

describe("verifySignature", () => {
  it("accepts a correctly signed request", () => {
    const { request, headers } = signed();
    expect(verify(headers, request)).toEqual({ ok: true, appId: "dev_app_local" });
  });

  it("accepts an upper-case hex signature", () => {
    const { request, headers } = signed();
    expect(
      verify({ ...headers, "x-signature": headers["x-signature"]?.toUpperCase() ?? "" }, request).ok,
    ).toBe(true);
  });

  it.each([
    ["method", { method: "GET" }],
    ["path", { pathAndQuery: "/api/v1/intents/intent_other/cancel" }],
    ["query", { pathAndQuery: "/api/v1/intents/intent_67890/cancel?x=1" }],
    ["body", { body: '{"reason":"x"}' }],
  ])("rejects a tampered %s as bad-signature", (_field, tamper) => {
    // Prepare
    const { request, headers } = signed();
    // Act
    const verdict = verify(headers, { ...request, ...tamper });
    // Assess
    expect(verdict).toMatchObject({ ok: false, failure: "bad-signature", appId: "dev_app_local" });
  });

  it("rejects a tampered timestamp (still fresh) as bad-signature", () => {
    const { request, headers } = signed();
    const verdict = verify({ ...headers, "x-timestamp": String(NOW + 1) }, request);
    expect(verdict).toMatchObject({ ok: false, failure: "bad-signature" });
  });

  it("accepts a timestamp exactly 5 minutes away and rejects one 1 ms further as stale", () => {
    const { request, headers } = signed();
    expect(verify(headers, request, { nowMs: NOW + DEFAULT_TOLERANCE_MS }).ok).toBe(true);
    expect(verify(headers, request, { nowMs: NOW - DEFAULT_TOLERANCE_MS }).ok).toBe(true);
    expect(verify(headers, request, { nowMs: NOW + DEFAULT_TOLERANCE_MS + 1 })).toMatchObject({
      ok: false,
      failure: "stale-timestamp",
    });
    expect(verify(headers, request, { nowMs: NOW - DEFAULT_TOLERANCE_MS - 1 })).toMatchObject({
      ok: false,
      failure: "stale-timestamp",
    });
  });

  it.each(["1708851000", "abc", "-1772019000000", "1772019000000.5"])(
    "rejects the timestamp %s as stale-timestamp",
    (timestamp) => {
      const { request, headers } = signed();
      expect(verify({ ...headers, "x-timestamp": timestamp }, request)).toMatchObject({
        ok: false,
        failure: "stale-timestamp",
      });
    },
  );

  it.each(["x-app-id", "x-timestamp", "x-signature"])("rejects a request without %s", (missing) => {
    const { request, headers } = signed();
    const { [missing]: _dropped, ...rest } = headers;
    const verdict = verify(rest, request);
    expect(verdict).toMatchObject({ ok: false, failure: "missing-header" });
    expect(verdict.ok ? "" : verdict.message).toContain(missing);
  });

  it("rejects an unknown app", () => {
    const { request, headers } = signed({}, SECRET, "nobody");
    expect(verify(headers, request)).toMatchObject({ ok: false, failure: "unknown-app", appId: "nobody" });
  });

  it("accepts either secret while one is rotated, and no other", () => {
    // Prepare
    const apps = { dev_app_local: ["old_secret", "new_secret"] };
    const withOld = signed({}, "old_secret");
    const withNew = signed({}, "new_secret");
    const withOther = signed({}, "another_secret");
    // Act / Assess
    expect(verify(withOld.headers, withOld.request, { apps }).ok).toBe(true);
    expect(verify(withNew.headers, withNew.request, { apps }).ok).toBe(true);
    expect(verify(withOther.headers, withOther.request, { apps })).toMatchObject({
      ok: false,
      failure: "bad-signature",
    });
  });

  it("never puts a secret or the expected signature into a failure message", () => {
    const { request, headers } = signed({}, "wrong_secret");
    const verdict = verify(headers, request);
    const expected = computeSignature(SECRET, { ...request, timestamp: String(NOW) });
    expect(verdict.ok).toBe(false);
    const text = JSON.stringify(verdict);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(expected);
  });
});
