/**
 * What the upstream clients ask before every HTTP attempt they send, and tell after every
 * answer they receive: the shared upstream budget (functions/adapters/dynamo/upstream-budget.ts).
 *
 * Every attempt counts — the first, each retry, the one after a 401 refresh, and the A55
 * token request — because the upstream counts every request it receives.
 */
import type { UpstreamPriority } from "#core/ports.ts";

export type BudgetedUpstream = "procure-core" | "a55";

/** One attempt about to be sent. */
export interface AttemptRequest {
  upstream: BudgetedUpstream;
  /**
   * Whose budget it is: the upstream limits per client (Procure-Core app id, A55 OAuth
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
export interface AnswerObservation {
  upstream: BudgetedUpstream;
  client: string;
  status: number;
  headers: Headers;
}

export interface AttemptBudget {
  /**
   * Takes one request slot, and resolves when the attempt may be sent at once.
   *
   * @throws UpstreamRateLimitedError when no slot is free: at once for interactive work;
   *   for background work when none frees before `deadline`
   * @throws StoreUnavailableError when the budget cannot be read (fail closed: nothing is sent)
   */
  take(request: AttemptRequest): Promise<void>;
  /** Takes in an answer's `X-RateLimit-*`, `Retry-After` and 429. */
  observe(answer: AnswerObservation): void;
}

/** No budget: every attempt may go. For clients used outside the service (tests, tools). */
export const UNMETERED: AttemptBudget = {
  take: async () => {},
  observe: () => {},
};
