/**
 * The upstream budget: the request slots an upstream allows per minute and client, which
 * the upstream exchange (functions/adapters/http/upstream-exchange.ts) takes one of before
 * every HTTP attempt it sends, and shows every answer it receives. The service's one
 * implementation shares them across every container: shared-upstream-budget.ts.
 *
 * "Budget" means these slots and nothing else: a call's deadline, signal and priority are
 * its bounds (`CallBounds`), and how long a call may take is its timeout.
 *
 * Every attempt counts — the first, each retry, the one after a 401 refresh, and A55's
 * token request — because the upstream counts every request it receives.
 */
import type { UpstreamName } from "#core/errors.ts";
import type { UpstreamPriority } from "#core/ports.ts";

/** One attempt about to be sent. */
export interface SlotRequest<N extends string = UpstreamName> {
  upstream: N;
  /**
   * Whose slots they are: the upstream limits per client (Procure-Core app id, A55 OAuth
   * client id; `static-token` for a fixed A55 token).
   */
  client: string;
  /** Default `background`. */
  priority?: UpstreamPriority | undefined;
  /** Epoch ms: no slot is waited for past it. */
  deadline: number;
  signal?: AbortSignal | undefined;
}

/** One answer received, for what the upstream announces about its own limit. */
export interface AnswerObservation<N extends string = UpstreamName> {
  upstream: N;
  client: string;
  status: number;
  headers: Headers;
}

export interface UpstreamBudget<N extends string = UpstreamName> {
  /**
   * Takes one request slot, and resolves when the attempt may be sent at once.
   *
   * @throws UpstreamRateLimitedError when no slot is free: at once for interactive work;
   *   for background work when none frees before `deadline`
   * @throws StoreUnavailableError when the budget cannot be read (fail closed: nothing is sent)
   */
  take(request: SlotRequest<N>): Promise<void>;
  /** Takes in an answer's `X-RateLimit-*`, `Retry-After` and 429. */
  observe(answer: AnswerObservation<N>): void;
}

/** No budget: every attempt may go. For clients used outside the service (tests, tools). */
export const UNMETERED: UpstreamBudget<string> = {
  take: async () => {},
  observe: () => {},
};
