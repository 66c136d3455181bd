import { HttpProblem } from "./http-problem.ts";

/** How a route's errors and outcomes are written: as Procure-Core, as A55, or as this service's own API. */
export type Dialect = "procure-core" | "a55" | "service";

export type RouteName =
  | "intent-cancel"
  | "charge-cancel"
  | "order-cancel"
  | "order-status"
  | "audit-trail"
  | "daily-report"
  | "open-cancellations"
  | "bulk-submit"
  | "bulk-status"
  | "bulk-items"
  | "bulk-stop";

interface RouteDefinition {
  name: RouteName;
  method: "GET" | "POST";
  pattern: RegExp;
  dialect: Dialect;
}

const SEGMENT = "([^/]+)";

/** The routes of docs/api.md. The charge route takes its trailing slash optionally. */
export const ROUTES: readonly RouteDefinition[] = [
  {
    name: "intent-cancel",
    method: "POST",
    pattern: new RegExp(`^/api/v1/intents/${SEGMENT}/cancel$`),
    dialect: "procure-core",
  },
  {
    name: "charge-cancel",
    method: "POST",
    pattern: new RegExp(`^/api/v1/bank/wallet/charge/${SEGMENT}/cancel/${SEGMENT}/?$`),
    dialect: "a55",
  },
  {
    name: "order-cancel",
    method: "POST",
    pattern: new RegExp(`^/api/v1/orders/${SEGMENT}/cancel$`),
    dialect: "service",
  },
  {
    name: "order-status",
    method: "GET",
    pattern: new RegExp(`^/api/v1/orders/${SEGMENT}/cancellation$`),
    dialect: "procure-core",
  },
  {
    name: "audit-trail",
    method: "GET",
    pattern: new RegExp(`^/api/v1/cancellations/${SEGMENT}/${SEGMENT}$`),
    dialect: "service",
  },
  {
    name: "daily-report",
    method: "GET",
    pattern: new RegExp(`^/api/v1/reports/daily/${SEGMENT}$`),
    dialect: "service",
  },
  {
    name: "open-cancellations",
    method: "GET",
    pattern: /^\/api\/v1\/cancellations$/,
    dialect: "service",
  },
  { name: "bulk-submit", method: "POST", pattern: /^\/api\/v1\/bulk-cancellations$/, dialect: "service" },
  {
    name: "bulk-status",
    method: "GET",
    pattern: new RegExp(`^/api/v1/bulk-cancellations/${SEGMENT}$`),
    dialect: "service",
  },
  {
    name: "bulk-items",
    method: "GET",
    pattern: new RegExp(`^/api/v1/bulk-cancellations/${SEGMENT}/items$`),
    dialect: "service",
  },
  {
    name: "bulk-stop",
    method: "POST",
    pattern: new RegExp(`^/api/v1/bulk-cancellations/${SEGMENT}/stop$`),
    dialect: "service",
  },
];

export interface MatchedRoute {
  name: RouteName;
  dialect: Dialect;
  params: string[];
}

/** The dialect for a path even when the method is wrong, so a 405 still speaks the route's language. */
export const dialectOf = (path: string): Dialect =>
  ROUTES.find((r) => r.pattern.test(path))?.dialect ?? "service";

/** Finds the route, or throws 404 / 405 (with `Allow`). */
export const matchRoute = (method: string, path: string): MatchedRoute => {
  const byPath = ROUTES.filter((route) => route.pattern.test(path));
  if (byPath.length === 0) throw new HttpProblem("route-not-found", `No route for ${path}`);
  const route = byPath.find((r) => r.method === method);
  if (!route) {
    const allow = byPath.map((r) => r.method).join(", ");
    throw new HttpProblem("method-not-allowed", `${method} is not allowed here; use ${allow}`, {
      headers: { allow },
    });
  }
  // The path is already percent-decoded (API Gateway HTTP APIs decode `rawPath`): the
  // segments are the ids as they are. Decoding again would turn an id spelled `order%3A1`
  // into `order:1`; `toHttpRequest` refuses a `%` left in the path instead.
  const params = (route.pattern.exec(path) ?? []).slice(1);
  return { name: route.name, dialect: route.dialect, params };
};
