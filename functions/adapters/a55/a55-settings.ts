/**
 * What the A55 client needs to reach A55: the shape of the `a55` secret (docs/deploy.md,
 * "Set and rotate the secrets"), either a fixed bearer token or OAuth2 client credentials.
 */

export interface A55StaticTokenSettings {
  baseUrl: string;
  accessToken: string;
}

export interface A55ClientCredentialsSettings {
  baseUrl: string;
  /** OAuth2 token endpoint; `client_credentials` is form-posted to it. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
}

export type A55Settings = A55StaticTokenSettings | A55ClientCredentialsSettings;

/**
 * Where the settings come from (Secrets Manager, or a file locally). `refresh()` skips any
 * cache: it is called once when A55 rejects the credentials, in case they were rotated.
 */
export interface A55Credentials {
  get(): Promise<A55Settings>;
  refresh(): Promise<A55Settings>;
}

/** A secret holding `accessToken` is a fixed token, whatever else it holds (as the secret's schema reads it). */
export const isStaticToken = (settings: A55Settings): settings is A55StaticTokenSettings =>
  "accessToken" in settings && typeof settings.accessToken === "string";
