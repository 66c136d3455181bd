import { verifySignature } from "#adapters/http/request-signature.ts";
import {
  type ClientTokenGrant,
  findClientToken,
  secretsForApp,
  tokenMayUseWallet,
} from "#adapters/secrets/client-credentials.ts";
import type { SecretProvider } from "#adapters/secrets/secret-provider.ts";
import type { ClientsSecret } from "#adapters/secrets/secret-shapes.ts";
import { HttpProblem } from "./http-problem.ts";
import type { HttpRequest } from "./http-request.ts";

/** What the log may hold of a caller-chosen id: printable, and short. */
const loggable = (text: string): string => {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
  const printable = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  return printable.length > 64 ? `${printable.slice(0, 64)}…` : printable;
};

/**
 * Checks the X-App-Id / X-Timestamp / X-Signature headers over the raw body, before any
 * parsing. An unknown app, and a signature that does not match, refresh the clients secret
 * once (the app may have just been added, or its secret rotated) and are checked again:
 * both take the same path, so neither the answer nor its time tells them apart. Every
 * failure answers the same 401 (error-response.ts); the reason goes to the log only.
 * @returns the caller's app id
 */
export const authenticateSigned = async (
  request: HttpRequest,
  clients: SecretProvider<ClientsSecret>,
  nowMs: number,
): Promise<string> => {
  const verify = (secret: ClientsSecret) =>
    verifySignature({
      header: request.header,
      method: request.method,
      pathAndQuery: request.pathAndQuery,
      body: request.rawBody,
      nowMs,
      secretsFor: (appId) => secretsForApp(secret, appId),
    });
  let verdict = verify(await clients.get());
  if (!verdict.ok && (verdict.failure === "unknown-app" || verdict.failure === "bad-signature")) {
    verdict = verify(await clients.refresh());
  }
  if (!verdict.ok) {
    throw new HttpProblem("unauthenticated", verdict.message, {
      reason: verdict.failure,
      logDetails: verdict.appId === undefined ? {} : { appId: loggable(verdict.appId) },
    });
  }
  return verdict.appId;
};

/**
 * Checks `Authorization: Bearer <client token>`, compared by SHA-256. An unknown token
 * refreshes the clients secret once (it may have just been issued). Every failure answers
 * the same 401; the reason goes to the log only.
 */
export const authenticateBearer = async (
  request: HttpRequest,
  clients: SecretProvider<ClientsSecret>,
): Promise<ClientTokenGrant> => {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.header("authorization") ?? "");
  const token = match?.[1];
  if (!token) {
    throw new HttpProblem("unauthenticated", "Missing or malformed Authorization: Bearer header", {
      reason: "missing-token",
    });
  }
  const grant =
    findClientToken(await clients.get(), token) ?? findClientToken(await clients.refresh(), token);
  if (!grant) {
    throw new HttpProblem("unauthenticated", "The bearer token is invalid or expired", {
      reason: "unknown-token",
    });
  }
  return grant;
};

/** A client token acts only on the wallets it was issued for. */
export const assertWalletScope = (grant: ClientTokenGrant, walletUuid: string): void => {
  if (!tokenMayUseWallet(grant, walletUuid)) {
    throw new HttpProblem("forbidden", "This token may not act on that wallet", { reason: "wallet-scope" });
  }
};
