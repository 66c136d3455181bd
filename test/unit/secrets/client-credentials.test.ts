import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { findClientToken, secretsForApp, tokenMayUseWallet } from "#adapters/secrets/client-credentials.ts";
import { clientsSecretSchema, parseSecret } from "#adapters/secrets/secret-shapes.ts";

const WALLET_A = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
const WALLET_B = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
const sha = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

const clients = parseSecret("clients", clientsSecretSchema, {
  apps: { storefront: { secrets: ["new-secret", "old-secret"] } },
  tokens: [
    { id: "storefront", sha256: sha("storefront-token"), wallets: ["*"] },
    { id: "wallet-tool", sha256: sha("wallet-tool-token").toUpperCase(), wallets: [WALLET_A.toUpperCase()] },
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

describe("findClientToken", () => {
  it("finds the client whose hash is the token's SHA-256", () => {
    expect(findClientToken(clients, "storefront-token")).toEqual({ id: "storefront", wallets: ["*"] });
    expect(findClientToken(clients, "wallet-tool-token")).toEqual({ id: "wallet-tool", wallets: [WALLET_A] });
  });

  it("returns undefined for an unknown token, a near miss or the hash itself", () => {
    expect(findClientToken(clients, "nope")).toBeUndefined();
    expect(findClientToken(clients, "storefront-token ")).toBeUndefined();
    expect(findClientToken(clients, sha("storefront-token"))).toBeUndefined();
    expect(findClientToken(clients, "")).toBeUndefined();
  });
});

describe("tokenMayUseWallet", () => {
  it('allows every wallet to a "*" token', () => {
    expect(tokenMayUseWallet({ wallets: ["*"] }, WALLET_B)).toBe(true);
  });

  it("allows listed wallets only, comparing UUIDs case-insensitively", () => {
    const token = { wallets: [WALLET_A] };
    expect(tokenMayUseWallet(token, WALLET_A)).toBe(true);
    expect(tokenMayUseWallet(token, WALLET_A.toUpperCase())).toBe(true);
    expect(tokenMayUseWallet(token, WALLET_B)).toBe(false);
  });

  it('never treats a requested wallet of "*" as a wallet', () => {
    expect(tokenMayUseWallet({ wallets: [WALLET_A] }, "*")).toBe(false);
    expect(tokenMayUseWallet({ wallets: ["*"] }, "*")).toBe(false);
  });
});
