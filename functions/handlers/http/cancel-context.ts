import type { CancelContext } from "#core/dependencies.ts";
import { scopeKeys } from "#core/identifiers.ts";
import type { RouteName } from "./routes.ts";

/**
 * The context of an HTTP cancel: the authenticated client is both its actor and its owner,
 * and the key is scoped to client and route, so two clients never collide (a client id
 * holds no `:`).
 */
export const httpCancelContext = (
  clientId: string,
  route: RouteName,
  correlationId: string,
  deadline: number,
  idempotencyKey: string | undefined,
): CancelContext => ({
  trigger: "http",
  actor: clientId,
  owner: clientId,
  correlationId,
  deadline,
  idempotency: idempotencyKey
    ? { scopeKey: scopeKeys.http(clientId, route, idempotencyKey), key: idempotencyKey }
    : undefined,
});
