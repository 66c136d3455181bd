/**
 * The HTTP API's routes, as data: one table that the HTTP function matches requests against
 * (functions/handlers/http/routes.ts), infra/ declares as API Gateway route keys
 * (infra/api.ts) and the local stack fills `routeKey` and `pathParameters` from
 * (local/stack/api-gateway-event.ts), so the three cannot drift apart. docs/api.md describes
 * each route; the OpenAPI (docs/openapi.yaml) is checked against the handler.
 *
 * Dialects: the two seed routes answer exactly as their upstream documents (Procure-Core's
 * envelope, A55's body); the service's own routes (orders, trails, reports, the open list,
 * bulk cancellations) answer in the service's shape, errors as `{error: {code, message}}` (docs/api.md).
 *
 * A path template's `{name}` is one non-empty segment. `trailingSlash: true` routes also take
 * the path with a trailing "/" (the A55 seed's spelling of the charge route); API Gateway HTTP
 * APIs refuse route keys ending in "/", so those requests reach the function through
 * `$default`, which also lets the function answer 404 and 405 for everything else.
 */

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

export interface HttpRoute {
  name: RouteName;
  method: "GET" | "POST";
  path: string;
  dialect: Dialect;
  trailingSlash?: true;
}

export const HTTP_ROUTES: readonly HttpRoute[] = [
  { name: "intent-cancel", method: "POST", path: "/api/v1/intents/{id}/cancel", dialect: "procure-core" },
  {
    name: "charge-cancel",
    method: "POST",
    path: "/api/v1/bank/wallet/charge/{charge_uuid}/cancel/{wallet_uuid}",
    dialect: "a55",
    trailingSlash: true,
  },
  { name: "order-cancel", method: "POST", path: "/api/v1/orders/{orderId}/cancel", dialect: "service" },
  {
    name: "order-status",
    method: "GET",
    path: "/api/v1/orders/{orderId}/cancellation",
    dialect: "service",
  },
  { name: "audit-trail", method: "GET", path: "/api/v1/cancellations/{type}/{id}", dialect: "service" },
  { name: "daily-report", method: "GET", path: "/api/v1/reports/daily/{day}", dialect: "service" },
  { name: "open-cancellations", method: "GET", path: "/api/v1/cancellations", dialect: "service" },
  { name: "bulk-submit", method: "POST", path: "/api/v1/bulk-cancellations", dialect: "service" },
  { name: "bulk-status", method: "GET", path: "/api/v1/bulk-cancellations/{id}", dialect: "service" },
  { name: "bulk-items", method: "GET", path: "/api/v1/bulk-cancellations/{id}/items", dialect: "service" },
  { name: "bulk-stop", method: "POST", path: "/api/v1/bulk-cancellations/{id}/stop", dialect: "service" },
];

/** The catch-all route key: 404/405 for anything else, and the trailing-slash charge path. */
export const DEFAULT_ROUTE_KEY = "$default";

/** API Gateway's route key of a route, e.g. `POST /api/v1/intents/{id}/cancel`. */
export const routeKeyOf = (route: HttpRoute): string => `${route.method} ${route.path}`;

/** The regular expression a (percent-decoded) path matches, one capture group per `{name}`. */
export const pathPatternOf = (route: HttpRoute): RegExp => {
  const segments = route.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "([^/]+)");
  return new RegExp(`^${segments}${route.trailingSlash ? "/?" : ""}$`);
};

/** The names of a route's path parameters, in order: `{id}` → `id`. */
export const pathParameterNamesOf = (route: HttpRoute): string[] =>
  [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] as string);
