import type { Bus } from "./bus.ts";
import { tablePermissions } from "./permissions.ts";
import { type Secrets, upstreamSecretLinks } from "./secrets.ts";
import { commonEnvironment, lambdaDefaults } from "./settings.ts";
import type { Storage } from "./storage.ts";

/**
 * The routes of DESIGN.md "The HTTP API". All go to one function, which routes internally.
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

/** The HTTP API (API Gateway v2) and its one handler. */
export function createApi(deps: { storage: Storage; secrets: Secrets; bus: Bus }) {
  const { storage, secrets, bus } = deps;

  const handler = new sst.aws.Function("HttpApi", {
    ...lambdaDefaults(),
    handler: "functions/handlers/http-api.handler",
    description:
      "HTTP API: intent, charge and order cancels; order cancellation status; audit trail, daily report and open cancellation reads",
    memory: "512 MB",
    timeout: "10 seconds",
    link: [...upstreamSecretLinks(secrets), secrets.clients.link],
    environment: commonEnvironment({
      idempotencyTable: storage.idempotency.name,
      auditTable: storage.audit.name,
      eventBusName: bus.bus.name,
    }),
    permissions: [
      ...tablePermissions(storage, {
        idempotency: ["PutItem", "UpdateItem", "GetItem"],
        // The open cancellations (index byNextCheck), for GET /api/v1/cancellations.
        openCancellationsIndex: true,
        // Query: one target's trail, and a day's records (index byDay) for the daily report.
        audit: ["PutItem", "Query"],
      }),
    ],
  });

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
