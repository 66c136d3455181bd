/**
 * Lookups over the `clients` secret for inbound authentication: an app's HMAC secrets and
 * grant, a bearer token's identity and grant. Tokens are matched by SHA-256 in constant
 * time, so neither the token nor how much of its hash matched leaks.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Grant } from "#core/grants.ts";
import type { ClientsSecret } from "./secret-shapes.ts";

/** A caller as the HTTP handler knows it once authenticated: who, what it may do, until when. */
export interface Client {
  id: string;
  grant: Grant;
  /** Epoch ms from which the client is refused like an unknown one; absent: no end. */
  expiresAt?: number;
}

/**
 * The HMAC secrets of an app (two during rotation), or `undefined` for an unknown app id
 * (the caller should then `refresh()` the secret once before refusing).
 */
export const secretsForApp = (clients: ClientsSecret, appId: string): string[] | undefined =>
  Object.hasOwn(clients.apps, appId) ? clients.apps[appId]?.secrets : undefined;

/** The app as a client (its grant and expiry), or `undefined` for an unknown app id. */
export const appClient = (clients: ClientsSecret, appId: string): Client | undefined => {
  const app = Object.hasOwn(clients.apps, appId) ? clients.apps[appId] : undefined;
  if (!app) return undefined;
  return { id: appId, grant: app.grant, ...(app.expiresAt !== undefined && { expiresAt: app.expiresAt }) };
};

/**
 * The client whose `sha256` is the SHA-256 of `bearerToken`, or `undefined`. Every entry
 * is compared (no early exit), each in constant time.
 */
export const findClientToken = (clients: ClientsSecret, bearerToken: string): Client | undefined => {
  const digest = createHash("sha256").update(bearerToken, "utf8").digest();
  let found: Client | undefined;
  for (const token of clients.tokens) {
    const expected = Buffer.from(token.sha256, "hex");
    // The schema guarantees 64 hex digits; the length check only guards timingSafeEqual's precondition.
    if (expected.length === digest.length && timingSafeEqual(expected, digest) && found === undefined) {
      found = {
        id: token.id,
        grant: token.grant,
        ...(token.expiresAt !== undefined && { expiresAt: token.expiresAt }),
      };
    }
  }
  return found;
};

/** Whether the client's time is over (it is then refused like an unknown one). */
export const hasExpired = (client: Pick<Client, "expiresAt">, nowMs: number): boolean =>
  client.expiresAt !== undefined && nowMs >= client.expiresAt;
