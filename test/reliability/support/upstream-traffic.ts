/**
 * Who sent what to the upstreams, counted twice:
 *
 * - client side: every `fetch` the service makes (both upstream clients take
 *   `globalThis.fetch` when the container is built), whatever happens to it — so hangs,
 *   resets and refused connections count too;
 * - sandbox side: the requests each sandbox logged. Procure-Core's log keeps only its last
 *   1,000 entries, so its `record` is tapped to keep them all; A55's `seen()` is complete.
 *   Injected faults answer before Procure-Core's log (and hangs and resets before A55's),
 *   so the sandbox side is a lower bound of the client side.
 *
 * Targets are read from the path: the intent id or the charge UUID.
 */
import type { HandlerKit } from "#test/support/handler-kit.ts";

export type Upstream = "procure-core" | "a55";

export interface UpstreamRequest {
  upstream: Upstream;
  method: string;
  path: string;
  /** Intent id or charge UUID, when the path names one. */
  target: string | undefined;
  /** Epoch ms when it was sent (client side) or logged (sandbox side). */
  at: number;
}

const INTENT_PATH = /^\/api\/v1\/intents\/([^/?]+)/;
const CHARGE_PATH = /^\/api\/v1\/bank\/wallet\/charge\/([^/]+)\//;

const decoded = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/** Classifies one request path. */
export const describePath = (path: string): Pick<UpstreamRequest, "upstream" | "target"> => {
  const intent = INTENT_PATH.exec(path)?.[1];
  if (path.startsWith("/api/v1/intents")) {
    return { upstream: "procure-core", target: intent === undefined ? undefined : decoded(intent) };
  }
  const charge = CHARGE_PATH.exec(path)?.[1];
  return { upstream: "a55", target: charge === undefined ? undefined : decoded(charge) };
};

const countBy = (requests: readonly UpstreamRequest[]): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const request of requests) {
    if (request.target !== undefined) counts.set(request.target, (counts.get(request.target) ?? 0) + 1);
  }
  return counts;
};

export class UpstreamTraffic {
  /** Client side, in the order sent. */
  readonly sent: UpstreamRequest[] = [];
  /** Every outbound X-Signature and bearer token (for the log scan). */
  readonly credentialsSent = new Set<string>();
  readonly #sandboxProcureCore: UpstreamRequest[] = [];
  #kit: HandlerKit | undefined;
  #restoreFetch: (() => void) | undefined;

  /**
   * Wraps `globalThis.fetch`. Call it BEFORE `startHandlerKit`: the clients keep the
   * `fetch` they found when the container was built.
   */
  recordFetch(): void {
    const original = globalThis.fetch;
    const { sent, credentialsSent } = this;
    const recording: typeof fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
      sent.push({ ...describePath(url.pathname), method, path: url.pathname, at: Date.now() });
      const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
      const signature = headers.get("x-signature");
      const bearer = /^Bearer\s+(\S+)/i.exec(headers.get("authorization") ?? "")?.[1];
      for (const credential of [signature, bearer]) if (credential) credentialsSent.add(credential);
      return original(input, init);
    };
    globalThis.fetch = recording;
    this.#restoreFetch = () => {
      globalThis.fetch = original;
    };
  }

  /** Taps the kit's sandboxes (call right after `startHandlerKit`). */
  tapSandboxes(kit: HandlerKit): void {
    this.#kit = kit;
    const log = kit.procureCore.requests;
    const record = log.record.bind(log);
    const kept = this.#sandboxProcureCore;
    log.record = (entry) => {
      const path = entry.pathAndQuery.split("?")[0] ?? "";
      kept.push({
        ...describePath(path),
        upstream: "procure-core",
        method: entry.method,
        path,
        at: Date.now(),
      });
      record(entry);
    };
  }

  /** Sandbox side, both sandboxes. */
  seen(): UpstreamRequest[] {
    const a55 = (this.#kit?.a55.seen() ?? []).map(
      (r): UpstreamRequest => ({
        ...describePath(r.path),
        upstream: "a55",
        method: r.method,
        path: r.path,
        at: 0,
      }),
    );
    return [...this.#sandboxProcureCore, ...a55];
  }

  /** Client-side requests per target. */
  sentPerTarget(): Map<string, number> {
    return countBy(this.sent);
  }

  /** Sandbox-side requests per target. */
  seenPerTarget(): Map<string, number> {
    return countBy(this.seen());
  }

  restore(): void {
    this.#restoreFetch?.();
    this.#restoreFetch = undefined;
  }
}
