/**
 * The routes of docs/api.md. All go to one function, which routes internally.
 *
 * The seed's trailing-slash form of the charge route (`.../cancel/{wallet_uuid}/`) is NOT a route
 * key of its own: API Gateway HTTP APIs reject route keys ending in "/" at deploy time. Requests
 * with the trailing slash reach the same function through `$default` (the catch-all, which also
 * lets the function answer 404/405 for every other path and method).
 */
export const ROUTES = [
  "POST /api/v1/intents/{id}/cancel",
  "POST /api/v1/bank/wallet/charge/{charge_uuid}/cancel/{wallet_uuid}",
  "POST /api/v1/orders/{orderId}/cancel",
  "GET /api/v1/orders/{orderId}/cancellation",
  "GET /api/v1/cancellations/{type}/{id}",
  "GET /api/v1/reports/daily/{day}",
  "GET /api/v1/cancellations",
  "$default",
] as const;

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
