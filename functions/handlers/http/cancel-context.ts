import type { CancelContext } from "#core/dependencies.ts";
import { scopeKeys } from "#core/identifiers.ts";
import type { RouteName } from "./routes.ts";

/** The context of an HTTP cancel: the key is scoped to caller and route, so two callers never collide. */
export const httpCancelContext = (
  actor: string,
  route: RouteName,
  correlationId: string,
  deadline: number,
  idempotencyKey: string | undefined,
): CancelContext => ({
  trigger: "http",
  actor,
  correlationId,
  deadline,
  idempotency: idempotencyKey
    ? { scopeKey: scopeKeys.http(actor, route, idempotencyKey), key: idempotencyKey }
    : undefined,
});
