import {
  type Dialect,
  HTTP_ROUTES,
  type HttpRoute,
  pathPatternOf,
  type RouteName,
} from "../../manifest/http-routes.ts";
import { HttpProblem } from "./http-problem.ts";

export type { Dialect, RouteName } from "../../manifest/http-routes.ts";

interface RouteDefinition {
  name: RouteName;
  method: HttpRoute["method"];
  pattern: RegExp;
  dialect: Dialect;
}

/** The routes of docs/api.md (functions/manifest/http-routes.ts), as patterns over the decoded path. */
const ROUTES: readonly RouteDefinition[] = HTTP_ROUTES.map((route) => ({
  name: route.name,
  method: route.method,
  pattern: pathPatternOf(route),
  dialect: route.dialect,
}));

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
