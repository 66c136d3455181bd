import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { a55SecretSchema, isStaticToken } from "#adapters/a55/a55-upstream.ts";
import { procureCoreSecretSchema } from "#adapters/procure-core/procure-core-upstream.ts";
import { InvalidSecretError } from "#adapters/secrets/secret-errors.ts";
import { clientsSecretSchema, parseSecret } from "#adapters/secrets/secret-shapes.ts";
import { ConfigurationError } from "#core/errors.ts";
import { FULL_GRANT, NO_GRANT } from "#core/grants.ts";

const SECRET_VALUE = "s3cr3t-VALUE-that-must-never-leak";
const WALLET = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
const sha = (text: string) => createHash("sha256").update(text).digest("hex");

/** Runs `parseSecret` and returns what it threw. */
const failure = (run: () => unknown): InvalidSecretError => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidSecretError);
    return error as InvalidSecretError;
  }
  throw new Error("expected parseSecret to throw");
};

/** Every text an error exposes: its message, its cause chain's messages and its own fields. */
const exposedText = (error: Error): string => {
  const parts: string[] = [JSON.stringify(error), error.message, String(error.stack)];
  let cause: unknown = error.cause;
  while (cause !== undefined) {
    parts.push(cause instanceof Error ? `${cause.message} ${JSON.stringify(cause)}` : JSON.stringify(cause));
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return parts.join("\n");
};

describe("procure-core secret", () => {
  it("accepts baseUrl, appId and appSecret", () => {
    const value = { baseUrl: "http://127.0.0.1:4010", appId: "dev_app_local", appSecret: SECRET_VALUE };
    expect(parseSecret("procure-core", procureCoreSecretSchema, value)).toEqual(value);
  });

  it("names a missing field and an empty one", () => {
    const error = failure(() =>
      parseSecret("procure-core", procureCoreSecretSchema, { baseUrl: "https://pc.example", appSecret: "" }),
    );
    expect(error.message).toBe(
      'secret "procure-core": field "appId" is missing; field "appSecret" must not be empty',
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.secret).toBe("procure-core");
    expect(error.issues.map((issue) => issue.field)).toEqual(["appId", "appSecret"]);
  });

  it("refuses a baseUrl that is not an http(s) URL", () => {
    const error = failure(() =>
      parseSecret("procure-core", procureCoreSecretSchema, {
        baseUrl: "ftp://x",
        appId: "a",
        appSecret: "b",
      }),
    );
    expect(error.message).toBe('secret "procure-core": field "baseUrl" must be an absolute http(s) URL');
  });
});

describe("a55 secret", () => {
  it("accepts a fixed access token", () => {
    const secret = parseSecret("a55", a55SecretSchema, {
      baseUrl: "https://a55.example",
      accessToken: SECRET_VALUE,
    });
    expect(secret).toEqual({ baseUrl: "https://a55.example", accessToken: SECRET_VALUE });
    expect(isStaticToken(secret)).toBe(true);
  });

  it("accepts client credentials with and without scope", () => {
    const base = {
      baseUrl: "https://a55.example",
      tokenUrl: "https://auth.a55.example/token",
      clientId: "c",
    };
    const secret = parseSecret("a55", a55SecretSchema, {
      ...base,
      clientSecret: SECRET_VALUE,
      scope: "charges",
    });
    expect(isStaticToken(secret)).toBe(false);
    expect(secret).toEqual({ ...base, clientSecret: SECRET_VALUE, scope: "charges" });
    expect(parseSecret("a55", a55SecretSchema, { ...base, clientSecret: SECRET_VALUE })).toEqual({
      ...base,
      clientSecret: SECRET_VALUE,
    });
  });

  it('names the missing field of the client-credentials form ("tokenUrl")', () => {
    const error = failure(() =>
      parseSecret("a55", a55SecretSchema, {
        baseUrl: "https://a55.example",
        clientId: "c",
        clientSecret: SECRET_VALUE,
      }),
    );
    expect(error.message).toBe('secret "a55": field "tokenUrl" is missing');
  });

  it("never shows a value, in the message nor in any cause, whatever is wrong with it", () => {
    // Prepare: the secret value sits in fields that fail in every way a schema can fail.
    const cases: unknown[] = [
      { baseUrl: SECRET_VALUE, accessToken: SECRET_VALUE },
      { baseUrl: "https://a55.example", tokenUrl: SECRET_VALUE, clientId: 42, clientSecret: SECRET_VALUE },
      { baseUrl: "https://a55.example", accessToken: [SECRET_VALUE] },
      SECRET_VALUE,
    ];
    for (const value of cases) {
      // Act
      const error = failure(() => parseSecret("a55", a55SecretSchema, value));
      // Assess
      expect(error.message).toMatch(/^secret "a55": /);
      expect(exposedText(error)).not.toContain(SECRET_VALUE);
      expect(error.cause).toBeUndefined();
    }
  });

  it("reports a wrong type without the value", () => {
    const error = failure(() =>
      parseSecret("a55", a55SecretSchema, { baseUrl: "https://a55.example", accessToken: 12345678 }),
    );
    expect(error.message).toBe('secret "a55": field "accessToken" must be string');
    expect(error.message).not.toContain("12345678");
  });
});

describe("clients secret", () => {
  const valid = {
    apps: {
      storefront: { secrets: ["new-secret", "old-secret"], grants: "all" },
      backoffice: { secrets: ["only"], grants: { operator: "read" } },
    },
    tokens: [
      { id: "storefront", sha256: sha("token-a").toUpperCase(), grants: "all", wallets: ["*"] },
      {
        id: "wallet-tool",
        sha256: sha("token-b"),
        grants: { charges: "write", wallets: [WALLET.toUpperCase()] },
      },
    ],
  };

  it("accepts apps and tokens with their grants, lower-casing hashes and wallet UUIDs", () => {
    const clients = parseSecret("clients", clientsSecretSchema, valid);
    expect(clients.apps.storefront).toEqual({ secrets: ["new-secret", "old-secret"], grant: FULL_GRANT });
    expect(clients.apps.backoffice?.grant).toEqual({ ...NO_GRANT, operator: "read" });
    expect(clients.tokens[0]?.sha256).toBe(sha("token-a"));
    // A token's "all" is what a token could do before grants: cancel charges in its own wallets.
    expect(clients.tokens[0]?.grant).toEqual({ ...NO_GRANT, charges: "write", wallets: ["*"] });
    expect(clients.tokens[1]?.grant).toEqual({ ...NO_GRANT, charges: "write", wallets: [WALLET] });
  });

  it("keeps an expiry as epoch milliseconds", () => {
    const clients = parseSecret("clients", clientsSecretSchema, {
      ...valid,
      apps: { storefront: { secrets: ["s"], grants: "all", expiresAt: "2027-01-31T00:00:00Z" } },
    });
    expect(clients.apps.storefront?.expiresAt).toBe(Date.parse("2027-01-31T00:00:00Z"));
  });

  it("refuses a client without a grant: nothing is granted by default", () => {
    const app = failure(() =>
      parseSecret("clients", clientsSecretSchema, { ...valid, apps: { storefront: { secrets: ["s"] } } }),
    );
    expect(app.message).toBe(
      'secret "clients": field "apps.storefront.grants" is missing: every client names its grant ("all" for everything, as before grants)',
    );

    const token = failure(() =>
      parseSecret("clients", clientsSecretSchema, {
        apps: {},
        tokens: [{ id: "support-desk", sha256: sha("x"), wallets: [WALLET] }],
      }),
    );
    expect(token.message).toBe(
      'secret "clients": field "tokens[0] (id "support-desk").grants" is missing: every client names its grant ("all" for everything, as before grants)',
    );
  });

  it("names the client of a malformed grant, and never a secret", () => {
    const error = failure(() =>
      parseSecret("clients", clientsSecretSchema, {
        ...valid,
        apps: { "eu-shop": { secrets: [SECRET_VALUE], grants: { orders: "admin", order: "write" } } },
      }),
    );
    expect(error.message).toBe(
      'secret "clients": field "apps.eu-shop.grants.orders" must be "none", "read" or "write"; ' +
        'field "apps.eu-shop.grants.order" is not a grant field (intents, charges, orders, operator, bulk, wallets)',
    );
    expect(exposedText(error)).not.toContain(SECRET_VALUE);
  });

  it('refuses a grant that is neither "all" nor an object, and charges "write" without wallets', () => {
    const notAGrant = failure(() =>
      parseSecret("clients", clientsSecretSchema, {
        ...valid,
        apps: { a: { secrets: ["s"], grants: "ALL" } },
      }),
    );
    expect(notAGrant.message).toBe(
      'secret "clients": field "apps.a.grants" must be "all" or a grant object (intents, charges, orders, operator, bulk, wallets)',
    );

    const noWallets = failure(() =>
      parseSecret("clients", clientsSecretSchema, {
        ...valid,
        apps: { a: { secrets: ["s"], grants: { charges: "write" } } },
      }),
    );
    expect(noWallets.message).toBe(
      'secret "clients": field "apps.a.grants.wallets" must name the wallets charges may be cancelled in (wallet UUIDs, or ["*"]) when charges is "write"',
    );
  });

  it("refuses a token's own wallets beside a grant object (they belong in the grant)", () => {
    const error = failure(() =>
      parseSecret("clients", clientsSecretSchema, {
        apps: {},
        tokens: [
          { id: "t", sha256: sha("x"), grants: { charges: "write", wallets: ["*"] }, wallets: [WALLET] },
        ],
      }),
    );
    expect(error.message).toBe(
      'secret "clients": field "tokens[0] (id "t").wallets" belongs to "grants": "all" only (a token with a grant object names its wallets in it)',
    );
  });

  it("refuses an expiry that is not an ISO 8601 time, and client ids that could pass for another owner", () => {
    const expiry = failure(() =>
      parseSecret("clients", clientsSecretSchema, {
        ...valid,
        apps: { a: { secrets: ["s"], grants: "all", expiresAt: "next year" } },
      }),
    );
    expect(expiry.message).toBe(
      'secret "clients": field "apps.a.expiresAt" must be an ISO 8601 time with its offset, e.g. "2027-01-31T00:00:00Z"',
    );

    const id = failure(() =>
      parseSecret("clients", clientsSecretSchema, {
        ...valid,
        apps: { "bus:shop": { secrets: ["s"], grants: "all" } },
      }),
    );
    expect(id.message).toBe(
      'secret "clients": field "apps.bus:shop" must be 1-64 letters, digits and _ . - (starting with a letter or digit)',
    );
  });

  it("refuses more than two secrets per app, naming the app's field", () => {
    const error = failure(() =>
      parseSecret("clients", clientsSecretSchema, {
        ...valid,
        apps: { storefront: { secrets: ["a", "b", "c"], grants: "all" } },
      }),
    );
    expect(error.message).toBe('secret "clients": field "apps.storefront.secrets" must hold 1 or 2 secrets');
  });

  it("refuses an app with no secret", () => {
    const error = failure(() =>
      parseSecret("clients", clientsSecretSchema, {
        ...valid,
        apps: { storefront: { secrets: [], grants: "all" } },
      }),
    );
    expect(error.message).toBe('secret "clients": field "apps.storefront.secrets" must hold 1 or 2 secrets');
  });

  it("names the token field that is not a SHA-256, without showing it", () => {
    const error = failure(() =>
      parseSecret("clients", clientsSecretSchema, {
        ...valid,
        tokens: [{ id: "t", sha256: SECRET_VALUE, grants: "all", wallets: [WALLET] }],
      }),
    );
    expect(error.message).toBe(
      `secret "clients": field "tokens[0] (id "t").sha256" must be the 64 hex digits of the token's SHA-256`,
    );
    expect(exposedText(error)).not.toContain(SECRET_VALUE);
  });

  it('refuses wallet scopes that are neither UUIDs nor "*", and "*" mixed with UUIDs', () => {
    const token = (wallets: string[]) => ({ id: "t", sha256: sha("x"), grants: "all", wallets });
    const bad = failure(() =>
      parseSecret("clients", clientsSecretSchema, { ...valid, tokens: [token(["wallet-1"])] }),
    );
    expect(bad.message).toBe(
      'secret "clients": field "tokens[0] (id "t").wallets[0]" must be a wallet UUID or "*"',
    );

    const mixed = failure(() =>
      parseSecret("clients", clientsSecretSchema, { ...valid, tokens: [token(["*", WALLET])] }),
    );
    expect(mixed.message).toBe('secret "clients": field "tokens[0] (id "t").wallets" "*" must stand alone');

    const none = failure(() =>
      parseSecret("clients", clientsSecretSchema, { ...valid, tokens: [token([])] }),
    );
    expect(none.message).toBe(
      'secret "clients": field "tokens[0] (id "t").wallets" must name at least one wallet',
    );
  });

  it("refuses duplicate token ids", () => {
    const error = failure(() =>
      parseSecret("clients", clientsSecretSchema, {
        apps: {},
        tokens: [
          { id: "t", sha256: sha("x"), grants: "all", wallets: ["*"] },
          { id: "t", sha256: sha("y"), grants: "all", wallets: ["*"] },
        ],
      }),
    );
    expect(error.message).toBe('secret "clients": field "tokens" token ids must be unique');
  });

  it("names both missing top-level fields", () => {
    const error = failure(() => parseSecret("clients", clientsSecretSchema, {}));
    expect(error.message).toBe('secret "clients": field "apps" is missing; field "tokens" is missing');
  });
});
