import { type SignatureVerdict, verifySignature } from "#adapters/http/request-signature.ts";
import {
  appClient,
  type Client,
  findClientToken,
  hasExpired,
  secretsForApp,
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

type SignedVerdict =
  | { ok: true; client: Client }
  | Exclude<SignatureVerdict, { ok: true }>
  | { ok: false; failure: "expired"; message: string; appId: string };

/**
 * Checks the X-App-Id / X-Timestamp / X-Signature headers over the raw body, before any
 * parsing. An unknown app, a signature that does not match and an app whose `expiresAt` is
 * past refresh the clients secret once (the app may have just been added, its secret
 * rotated, its time extended) and are checked again: they take the same path, so neither
 * the answer nor its time tells them apart. Every failure answers the same 401
 * (error-response.ts); the reason goes to the log only.
 * @returns the caller: its app id and grant
 */
export const authenticateSigned = async (
  request: HttpRequest,
  clients: SecretProvider<ClientsSecret>,
  nowMs: number,
): Promise<Client> => {
  const verify = (secret: ClientsSecret): SignedVerdict => {
    const verdict = verifySignature({
      header: request.header,
      method: request.method,
      pathAndQuery: request.pathAndQuery,
      body: request.rawBody,
      nowMs,
      secretsFor: (appId) => secretsForApp(secret, appId),
    });
    if (!verdict.ok) return verdict;
    const client = appClient(secret, verdict.appId);
    if (!client)
      return { ok: false, failure: "unknown-app", message: "Unknown X-App-Id", appId: verdict.appId };
    if (hasExpired(client, nowMs)) {
      return { ok: false, failure: "expired", message: "The app's access has expired", appId: verdict.appId };
    }
    return { ok: true, client };
  };
  let verdict = verify(await clients.get());
  if (!verdict.ok && verdict.failure !== "missing-header" && verdict.failure !== "stale-timestamp") {
    verdict = verify(await clients.refresh());
  }
  if (!verdict.ok) {
    throw new HttpProblem("unauthenticated", verdict.message, {
      reason: verdict.failure,
      logDetails: verdict.appId === undefined ? {} : { appId: loggable(verdict.appId) },
    });
  }
  return verdict.client;
};

/**
 * Checks `Authorization: Bearer <client token>`, compared by SHA-256. An unknown token, and
 * one whose `expiresAt` is past, refresh the clients secret once (it may have just been
 * issued, or its time extended). Every failure answers the same 401; the reason goes to the
 * log only.
 */
export const authenticateBearer = async (
  request: HttpRequest,
  clients: SecretProvider<ClientsSecret>,
  nowMs: number,
): Promise<Client> => {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.header("authorization") ?? "");
  const token = match?.[1];
  if (!token) {
    throw new HttpProblem("unauthenticated", "Missing or malformed Authorization: Bearer header", {
      reason: "missing-token",
    });
  }
  const held = findClientToken(await clients.get(), token);
  if (held && !hasExpired(held, nowMs)) return held;
  const fresh = findClientToken(await clients.refresh(), token);
  if (fresh && !hasExpired(fresh, nowMs)) return fresh;
  throw new HttpProblem("unauthenticated", "The bearer token is invalid or expired", {
    reason: fresh ? "expired" : "unknown-token",
    ...(fresh && { logDetails: { clientId: fresh.id } }),
  });
};
