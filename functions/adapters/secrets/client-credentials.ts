/**
 * Lookups over the `clients` secret for inbound authentication: an app's HMAC secrets,
 * a bearer token's identity and its wallet scope. Tokens are matched by SHA-256 in
 * constant time, so neither the token nor how much of its hash matched leaks.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { ANY_WALLET, type ClientsSecret } from "./secret-shapes.ts";

/** A bearer client as the auth code needs it: who, and which wallets. */
export interface ClientTokenGrant {
  id: string;
  wallets: readonly string[];
}

/**
 * The HMAC secrets of an app (two during rotation), or `undefined` for an unknown app id
 * (the caller should then `refresh()` the secret once before refusing).
 */
export const secretsForApp = (clients: ClientsSecret, appId: string): string[] | undefined =>
  Object.hasOwn(clients.apps, appId) ? clients.apps[appId]?.secrets : undefined;

/**
 * The client whose `sha256` is the SHA-256 of `bearerToken`, or `undefined`. Every entry
 * is compared (no early exit), each in constant time.
 */
export const findClientToken = (
  clients: ClientsSecret,
  bearerToken: string,
): ClientTokenGrant | undefined => {
  const digest = createHash("sha256").update(bearerToken, "utf8").digest();
  let found: ClientTokenGrant | undefined;
  for (const token of clients.tokens) {
    const expected = Buffer.from(token.sha256, "hex");
    // The schema guarantees 64 hex digits; the length check only guards timingSafeEqual's precondition.
    if (expected.length === digest.length && timingSafeEqual(expected, digest) && found === undefined) {
      found = { id: token.id, wallets: token.wallets };
    }
  }
  return found;
};

/**
 * Whether the token may act on the wallet: listed (UUIDs compare case-insensitively) or
 * granted `"*"`. A requested wallet of `"*"` itself is never allowed.
 */
export const tokenMayUseWallet = (token: Pick<ClientTokenGrant, "wallets">, walletUuid: string): boolean => {
  if (walletUuid === ANY_WALLET) return false;
  const wallet = walletUuid.toLowerCase();
  return token.wallets.some((scope) => scope === ANY_WALLET || scope === wallet);
};
