/**
 * Fake-Ledger's client, written as a real upstream's would be: its requests and the
 * reading of its documented answers; everything else (bounds, slots, retries, the 401
 * rule, failures, reports) is the upstream exchange's.
 */
import type { ExchangeOptions } from "#adapters/http/exchange-types.ts";
import { UpstreamExchange } from "#adapters/http/upstream-exchange.ts";
import type { SecretProvider } from "#adapters/secrets/secret-provider.ts";
import type { CallOptions, UpstreamMeta } from "#core/ports.ts";
import {
  type FakeLedgerBody,
  type FakeLedgerName,
  type FakeLedgerSecret,
  fakeLedgerUpstream,
} from "./fake-ledger-upstream.ts";

export type ReleaseResult =
  | { kind: "released"; meta: UpstreamMeta }
  | { kind: "not-found" | "settled" | "locked"; meta: UpstreamMeta };

export class FakeLedgerClient {
  readonly #exchange: UpstreamExchange<FakeLedgerName, FakeLedgerBody>;
  readonly #credentials: { current(): Promise<FakeLedgerSecret>; renew(): Promise<FakeLedgerSecret> };

  constructor(options: ExchangeOptions<FakeLedgerName> & { secret: SecretProvider<FakeLedgerSecret> }) {
    this.#exchange = new UpstreamExchange(fakeLedgerUpstream, options);
    this.#credentials = { current: () => options.secret.get(), renew: () => options.secret.refresh() };
  }

  /** `POST /v1/holds/{id}/release`. */
  async release(holdId: string, options?: CallOptions): Promise<ReleaseResult> {
    const answered = await this.#exchange.call("releaseHold", options, this.#credentials, (secret) => ({
      client: "service",
      prepare: () => ({
        url: `${secret.baseUrl}/v1/holds/${encodeURIComponent(holdId)}/release`,
        method: "POST",
        headers: { authorization: `ApiKey ${secret.apiKey}`, "content-type": "application/json" },
        body: "{}",
      }),
    }));
    const { status, body } = answered.answer;
    const meta = this.#exchange.metaOf(answered);
    if (status === 200 && body.kind === "hold" && body.status === "RELEASED")
      return { kind: "released", meta };
    const code = body.kind === "error" ? body.code : undefined;
    if (status === 404 && code === "HOLD_NOT_FOUND") return { kind: "not-found", meta };
    if (status === 409 && code === "HOLD_SETTLED") return { kind: "settled", meta };
    if (status === 500 && code === "LEDGER_LOCKED") return { kind: "locked", meta };
    throw this.#exchange.failure(answered, {
      retryable: status >= 500,
      message: `Fake-Ledger answered HTTP ${status} outside its contract`,
    });
  }
}
