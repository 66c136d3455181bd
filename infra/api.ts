import { DEFAULT_ROUTE_KEY, HTTP_ROUTES, routeKeyOf } from "../functions/manifest/http-routes.ts";
/**
 * The routes of docs/api.md (functions/manifest/http-routes.ts), all to one function, which
 * routes internally, plus `$default`: the seed's trailing-slash form of the charge route is not a
 * route key of its own (API Gateway HTTP APIs reject route keys ending in "/" at deploy time), so
 * those requests, and every other path and method, reach the function there (it answers 404/405).
 */
export const ROUTES = [...HTTP_ROUTES.map(routeKeyOf), DEFAULT_ROUTE_KEY];

/** The HTTP API (API Gateway v2), every route to the one function whose manifest trigger is `http`. */
export function createApi(handler: sst.aws.Function) {
  const api = new sst.aws.ApiGatewayV2("Api", {
    // Callers are servers (the storefront), not browsers.
    cors: false,
    accessLog: { retention: "1 month" },
  });
  for (const route of ROUTES) {
    api.route(route, handler.arn);
  }

  return { api, handler };
}
