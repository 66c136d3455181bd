/**
 * A55's bearer tokens in the sandbox: fixed tokens given at start-up, and tokens issued
 * by `POST /oauth/token` (OAuth2 `client_credentials`, RFC 6749 §4.4) that expire after
 * `ttlSeconds` by the sandbox's clock. Each token belongs to a client and is scoped to a
 * list of wallets (`"*"` = every wallet).
 *
 * Token endpoint answers (RFC 6749 §5): 200 `{access_token, expires_in, token_type:
 * "Bearer"}` (plus `scope` when one was asked for); 400 `invalid_request` (not
 * form-encoded, no grant_type), 400 `unsupported_grant_type`, 401 `invalid_client`.
 * Client credentials come in the form body or as HTTP Basic.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { SandboxRequest, SandboxResponse } from "../sandbox-server.ts";

export interface StaticTokenGrant {
  clientId: string;
  wallets: string[];
}

export interface OAuthClient {
  secret: string;
  wallets: string[];
}

export interface TokenOwner {
  clientId: string;
  wallets: readonly string[];
}

export type BearerCheck =
  | { kind: "ok"; owner: TokenOwner }
  | { kind: "missing" }
  | { kind: "invalid" }
  | { kind: "expired"; clientId: string };

interface IssuedToken extends TokenOwner {
  expiresAt: number;
}

export interface TokenIssuerOptions {
  staticTokens: Record<string, StaticTokenGrant>;
  oauthClients: Record<string, OAuthClient>;
  ttlSeconds: number;
  now: () => number;
}

export class TokenIssuer {
  readonly #static: Map<string, TokenOwner>;
  readonly #clients: Map<string, OAuthClient>;
  readonly #issued = new Map<string, IssuedToken>();
  readonly #ttlSeconds: number;
  readonly #now: () => number;
  #tokenRequests = 0;

  constructor(options: TokenIssuerOptions) {
    this.#static = new Map(
      Object.entries(options.staticTokens).map(([token, grant]) => [
        token,
        { ...grant, wallets: lower(grant.wallets) },
      ]),
    );
    this.#clients = new Map(
      Object.entries(options.oauthClients).map(([id, client]) => [
        id,
        { ...client, wallets: lower(client.wallets) },
      ]),
    );
    this.#ttlSeconds = options.ttlSeconds;
    this.#now = options.now;
  }

  /** How many requests reached the token endpoint (successful or not). */
  get tokenRequests(): number {
    return this.#tokenRequests;
  }

  /** Forgets every issued OAuth token (as an A55 key rotation would); fixed tokens stay. */
  revokeIssued(): void {
    this.#issued.clear();
  }

  /** Issues a token for a known OAuth client, as the token endpoint would. */
  issue(clientId: string): { accessToken: string; expiresIn: number } {
    const client = this.#clients.get(clientId);
    if (!client) throw new RangeError(`Unknown OAuth client "${clientId}"`);
    const accessToken = `a55_${randomBytes(24).toString("base64url")}`;
    this.#issued.set(accessToken, {
      clientId,
      wallets: client.wallets,
      expiresAt: this.#now() + this.#ttlSeconds * 1000,
    });
    return { accessToken, expiresIn: this.#ttlSeconds };
  }

  /** Checks an `Authorization` header value. */
  resolve(authorization: string | undefined): BearerCheck {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? "");
    if (!match?.[1]) return { kind: "missing" };
    const token = match[1];
    const fixed = this.#static.get(token);
    if (fixed) return { kind: "ok", owner: fixed };
    const issued = this.#issued.get(token);
    if (!issued) return { kind: "invalid" };
    if (this.#now() >= issued.expiresAt) return { kind: "expired", clientId: issued.clientId };
    return { kind: "ok", owner: issued };
  }

  /** `POST /oauth/token`. */
  handleTokenRequest(request: SandboxRequest): SandboxResponse {
    this.#tokenRequests++;
    const contentType = request.header("content-type") ?? "";
    if (!/^application\/x-www-form-urlencoded\b/i.test(contentType)) {
      return oauthError(400, "invalid_request", "The body must be application/x-www-form-urlencoded.");
    }
    const form = new URLSearchParams(request.rawBody);
    const grantType = form.get("grant_type");
    if (!grantType) return oauthError(400, "invalid_request", "grant_type is required.");
    if (grantType !== "client_credentials") {
      return oauthError(400, "unsupported_grant_type", "Only client_credentials is supported.");
    }
    const presented = clientCredentials(request.header("authorization"), form);
    const client = presented ? this.#clients.get(presented.clientId) : undefined;
    if (!presented || !client || !sameSecret(presented.secret, client.secret)) {
      return oauthError(401, "invalid_client", "Client authentication failed.", {
        "WWW-Authenticate": 'Basic realm="a55"',
      });
    }
    const { accessToken, expiresIn } = this.issue(presented.clientId);
    const scope = form.get("scope");
    return {
      status: 200,
      headers: { "Cache-Control": "no-store", Pragma: "no-cache" },
      body: {
        access_token: accessToken,
        expires_in: expiresIn,
        token_type: "Bearer",
        ...(scope ? { scope } : {}),
      },
    };
  }
}

const oauthError = (
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
): SandboxResponse => ({
  status,
  headers: { "Cache-Control": "no-store", ...headers },
  body: { error, error_description: description },
});

const clientCredentials = (
  authorization: string | undefined,
  form: URLSearchParams,
): { clientId: string; secret: string } | undefined => {
  const basic = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? "");
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon <= 0) return undefined;
    // RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
    const clientId = safeDecode(decoded.slice(0, colon));
    const secret = safeDecode(decoded.slice(colon + 1));
    return clientId && secret ? { clientId, secret } : undefined;
  }
  const clientId = form.get("client_id");
  const secret = form.get("client_secret");
  return clientId && secret ? { clientId, secret } : undefined;
};

const safeDecode = (value: string): string | undefined => {
  try {
    return decodeURIComponent(value.replaceAll("+", " "));
  } catch {
    return undefined;
  }
};

// Hashing first gives equal lengths, which timingSafeEqual requires.
const sameSecret = (a: string, b: string): boolean =>
  timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());

const lower = (wallets: readonly string[]): string[] => wallets.map((w) => w.toLowerCase());
