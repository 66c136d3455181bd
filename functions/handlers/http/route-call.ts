import type { Container } from "#wiring/container.ts";
import type { HttpRequest } from "./http-request.ts";

/** What every route's function is given: the container, the request, the path's parameters, and the invocation's ids and deadline. */
export interface RouteCall {
  container: Container;
  request: HttpRequest;
  params: string[];
  correlationId: string;
  deadline: number;
}
