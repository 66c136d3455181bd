/**
 * The Procure-Core sandbox's contract routes. Every request is checked in this order —
 * route (404), method (405), signature (401), id (400), body (400) — and every answer,
 * wrong ones included, is an envelope with a 4xx or a documented code: malformed input
 * never reaches a 500.
 *
 *   POST /api/v1/intents/{id}/cancel   the seed's contract
 *   GET  /api/v1/intents/{id}          `{id, status, createdAt, updatedAt, cancelledAt}`
 *   GET  /api/v1/intents?…             our assumed listing (see list-query.ts)
 */
import { verifySignature } from "#adapters/http/request-signature.ts";
import { isValidIntentId } from "#core/identifiers.ts";
import type { EffectCounter, SandboxRequest, SandboxResponse } from "../sandbox-server.ts";
import type { AppRegistry } from "./app-registry.ts";
import type { IntentStore } from "./intent-store.ts";
import { toIntentJson } from "./intent-store.ts";
import { parseListParams } from "./list-params.ts";
import {
  badIntentId,
  badRequest,
  cancelData,
  cancelFailed,
  forbidden,
  methodNotAllowed,
  noSuchRoute,
  notCancellable,
  notFound,
  ok,
  unauthorized,
} from "./procure-core-envelopes.ts";

/** A request that reached the contract routes (injected faults answer before this). */
export interface LoggedRequest {
  method: string;
  pathAndQuery: string;
  appId: string | undefined;
}

/** The most recent requests, for tests that must prove something was (not) sent. */
export class RequestLog {
  static readonly KEEP = 1_000;
  #entries: LoggedRequest[] = [];
  #count = 0;
  record(entry: LoggedRequest): void {
    this.#count++;
    this.#entries.push(entry);
    if (this.#entries.length > RequestLog.KEEP) this.#entries = this.#entries.slice(-RequestLog.KEEP);
  }
  /** All requests since start or the last reset. */
  count(): number {
    return this.#count;
  }
  /** The last (up to) 1,000 requests, oldest first. */
  entries(): readonly LoggedRequest[] {
    return [...this.#entries];
  }
  reset(): void {
    this.#entries = [];
    this.#count = 0;
  }
}

type Route = { name: "list" } | { name: "get"; id: string } | { name: "cancel"; id: string };

const ROUTES: { pattern: RegExp; method: string; route: (id: string) => Route }[] = [
  { pattern: /^\/api\/v1\/intents$/, method: "GET", route: () => ({ name: "list" }) },
  { pattern: /^\/api\/v1\/intents\/([^/]+)$/, method: "GET", route: (id) => ({ name: "get", id }) },
  {
    pattern: /^\/api\/v1\/intents\/([^/]+)\/cancel$/,
    method: "POST",
    route: (id) => ({ name: "cancel", id }),
  },
];

export interface ProcureCoreRoutesDeps {
  intents: IntentStore;
  apps: AppRegistry;
  effects: EffectCounter;
  requests: RequestLog;
  now: () => number;
}

const isJson = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** The handler `startSandboxServer` calls for every non-control request. */
export const createProcureCoreRoutes =
  (deps: ProcureCoreRoutesDeps) =>
  (request: SandboxRequest): SandboxResponse => {
    deps.requests.record({
      method: request.method,
      pathAndQuery: request.pathAndQuery,
      appId: request.header("x-app-id"),
    });
    const match = ROUTES.find(({ pattern }) => pattern.test(request.path));
    if (!match) return noSuchRoute();
    if (request.method !== match.method) return methodNotAllowed(match.method);

    const verdict = verifySignature({
      header: request.header,
      method: request.method,
      pathAndQuery: request.pathAndQuery,
      body: request.rawBody,
      nowMs: deps.now(),
      secretsFor: (appId) => deps.apps.secretsFor(appId),
    });
    if (!verdict.ok) return unauthorized(verdict.failure, verdict.message);

    const route = match.route(match.pattern.exec(request.path)?.[1] ?? "");
    if (route.name !== "list" && !isValidIntentId(route.id)) return badIntentId();
    // The seed's cancel takes no body; one that is sent must at least be JSON.
    if (request.rawBody.trim() !== "" && !isJson(request.rawBody)) {
      return badRequest("the request body is not valid JSON");
    }

    switch (route.name) {
      case "list": {
        const parsed = parseListParams(request.query);
        if ("error" in parsed) return badRequest(parsed.error);
        const { items, total } = deps.intents.list(verdict.appId, parsed.filter);
        return ok({
          items: items.map(toIntentJson),
          total,
          page: parsed.filter.page,
          pageSize: parsed.filter.pageSize,
        });
      }
      case "get": {
        const read = deps.intents.read(verdict.appId, route.id);
        if (read.kind === "not-found") return notFound();
        if (read.kind === "forbidden") return forbidden();
        return ok(toIntentJson(read.intent));
      }
      case "cancel":
        return cancel(deps, verdict.appId, route.id);
    }
  };

const cancel = (deps: ProcureCoreRoutesDeps, appId: string, id: string): SandboxResponse => {
  const attempt = deps.intents.cancel(appId, id);
  switch (attempt.kind) {
    case "not-found":
      return notFound();
    case "forbidden":
      return forbidden();
    case "not-cancellable":
      return notCancellable(attempt.intent);
    case "shipped":
      return cancelFailed();
    case "cancelled":
    case "accepted-async":
      if (attempt.effect) deps.effects.record(id);
      // ASSUMPTION: the seed says PROCESSING cancels are asynchronous but shows only the
      // CANCELLED body. The sandbox accepts them with code 0 and `data.status: "PROCESSING"`,
      // `cancelledAt: null`; the intent reads CANCELLED once the delay has passed.
      return ok(cancelData(attempt.intent));
  }
};
