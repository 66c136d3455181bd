import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  appClient,
  findClientToken,
  hasExpired,
  secretsForApp,
} from "#adapters/secrets/client-credentials.ts";
import { clientsSecretSchema, parseSecret } from "#adapters/secrets/secret-shapes.ts";
import { FULL_GRANT, mayUseWallet, NO_GRANT } from "#core/grants.ts";

const WALLET_A = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
const WALLET_B = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
const sha = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

const clients = parseSecret("clients", clientsSecretSchema, {
  apps: {
    storefront: { secrets: ["new-secret", "old-secret"], grants: "all" },
    "eu-shop": { secrets: ["s"], grants: { orders: "write" }, expiresAt: "2027-01-31T00:00:00Z" },
  },
  tokens: [
    { id: "storefront", sha256: sha("storefront-token"), grants: "all", wallets: ["*"] },
    {
      id: "wallet-tool",
      sha256: sha("wallet-tool-token").toUpperCase(),
      grants: { charges: "write", wallets: [WALLET_A.toUpperCase()] },
    },
  ],
});

describe("secretsForApp", () => {
  it("returns the app's secrets, both during rotation", () => {
    expect(secretsForApp(clients, "storefront")).toEqual(["new-secret", "old-secret"]);
  });

  it("returns undefined for an unknown app, including names on Object's prototype", () => {
    expect(secretsForApp(clients, "unknown")).toBeUndefined();
    expect(secretsForApp(clients, "constructor")).toBeUndefined();
    expect(secretsForApp(clients, "__proto__")).toBeUndefined();
    expect(secretsForApp(clients, "toString")).toBeUndefined();
  });
});

describe("appClient", () => {
  it("returns the app with its grant and expiry, or undefined for an unknown app", () => {
    expect(appClient(clients, "storefront")).toEqual({ id: "storefront", grant: FULL_GRANT });
    expect(appClient(clients, "eu-shop")).toEqual({
      id: "eu-shop",
      grant: { ...NO_GRANT, orders: "write" },
      expiresAt: Date.parse("2027-01-31T00:00:00Z"),
    });
    expect(appClient(clients, "constructor")).toBeUndefined();
  });
});

describe("hasExpired", () => {
  it("is over from expiresAt on, and never without one", () => {
    const until = Date.parse("2027-01-31T00:00:00Z");
    expect(hasExpired({ expiresAt: until }, until - 1)).toBe(false);
    expect(hasExpired({ expiresAt: until }, until)).toBe(true);
    expect(hasExpired({}, Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});

describe("findClientToken", () => {
  it("finds the client whose hash is the token's SHA-256, with its grant", () => {
    expect(findClientToken(clients, "storefront-token")).toEqual({
      id: "storefront",
      grant: { ...NO_GRANT, charges: "write", wallets: ["*"] },
    });
    expect(findClientToken(clients, "wallet-tool-token")).toEqual({
      id: "wallet-tool",
      grant: { ...NO_GRANT, charges: "write", wallets: [WALLET_A] },
    });
  });

  it("returns undefined for an unknown token, a near miss or the hash itself", () => {
    expect(findClientToken(clients, "nope")).toBeUndefined();
    expect(findClientToken(clients, "storefront-token ")).toBeUndefined();
    expect(findClientToken(clients, sha("storefront-token"))).toBeUndefined();
    expect(findClientToken(clients, "")).toBeUndefined();
  });
});

describe("mayUseWallet", () => {
  it('allows every wallet to a "*" token', () => {
    expect(mayUseWallet(["*"], WALLET_B)).toBe(true);
  });

  it("allows listed wallets only, comparing UUIDs case-insensitively", () => {
    const token = [WALLET_A];
    expect(mayUseWallet(token, WALLET_A)).toBe(true);
    expect(mayUseWallet(token, WALLET_A.toUpperCase())).toBe(true);
    expect(mayUseWallet(token, WALLET_B)).toBe(false);
  });

  it('never treats a requested wallet of "*" as a wallet', () => {
    expect(mayUseWallet([WALLET_A], "*")).toBe(false);
    expect(mayUseWallet(["*"], "*")).toBe(false);
  });
});
