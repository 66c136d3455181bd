/**
 * The environment the handlers read on their first invocation (functions/wiring/config.ts),
 * pointed at the local pieces, and the handlers themselves, imported only after it is set.
 */
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
  DynamoDBStreamEvent,
  EventBridgeEvent,
} from "aws-lambda";
import { EVENTBRIDGE_PATH } from "./put-events-endpoint.ts";
import { type LocalSettings, loopbackUrl } from "./settings.ts";
import { LOCAL_TABLES } from "./tables.ts";

export const LOCAL_EVENT_BUS_NAME = "cancellation-local";

/** Service settings a developer may override from the shell (`EXPIRY_AFTER=1h npm start`). */
const OVERRIDABLE = [
  "LOG_LEVEL",
  "EXPIRY_AFTER",
  "SWEEP_CONCURRENCY",
  "SWEEP_PAGE_SIZE",
  "A55_BUDGET_PER_MINUTE",
  "PROCURE_CORE_BUDGET_PER_MINUTE",
  "BACKGROUND_BUDGET_SHARE",
  "UPSTREAM_BUDGET_MARGIN_MS",
  "UPSTREAM_TIMEOUT_MS",
  "UPSTREAM_MAX_ATTEMPTS",
  "MAX_BODY_BYTES",
  "SECRETS_TTL_SECONDS",
] as const;

/** AWS settings that could make an SDK client reach a real account; removed locally. */
const REAL_AWS_VARIABLES = [
  "AWS_PROFILE",
  "AWS_SESSION_TOKEN",
  "AWS_SECURITY_TOKEN",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_ROLE_ARN",
  "AWS_ENDPOINT_URL",
  "AWS_ENDPOINT_URL_DYNAMODB",
  "AWS_ENDPOINT_URL_EVENTBRIDGE",
] as const;

/** The variables for the handlers, given where everything runs. */
export const serviceEnvironment = (
  settings: LocalSettings,
  secretsFile: string,
  inherited: Record<string, string | undefined>,
): Record<string, string> => {
  const env: Record<string, string> = {
    IDEMPOTENCY_TABLE: LOCAL_TABLES.idempotency,
    AUDIT_TABLE: LOCAL_TABLES.audit,
    EVENT_BUS_NAME: LOCAL_EVENT_BUS_NAME,
    SECRETS_FILE: secretsFile,
    DYNAMODB_ENDPOINT: loopbackUrl(settings.ports.dynamodb),
    EVENTBRIDGE_ENDPOINT: `${loopbackUrl(settings.ports.http)}${EVENTBRIDGE_PATH}`,
    // Fake credentials: the SDK clients sign with them; nothing local checks them.
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    POWERTOOLS_SERVICE_NAME: "cancellation-service",
    POWERTOOLS_METRICS_NAMESPACE: "cancellation-service-local",
  };
  for (const name of OVERRIDABLE) {
    const value = inherited[name];
    if (value !== undefined && value !== "") env[name] = value;
  }
  return env;
};

/** Sets the service environment on this process (before the handlers are imported). */
export const applyServiceEnvironment = (env: Record<string, string>): void => {
  for (const name of REAL_AWS_VARIABLES) delete process.env[name];
  // Tells the config reader to use the file, not Secrets Manager.
  delete process.env.PROCURE_CORE_SECRET_ARN;
  delete process.env.A55_SECRET_ARN;
  delete process.env.CLIENTS_SECRET_ARN;
  delete process.env.DRY_RUN;
  Object.assign(process.env, env);
};

export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2 | unknown>;
export type BusHandler = (
  event: EventBridgeEvent<"Cancel Requested", unknown>,
  context: Context,
) => Promise<unknown>;
/** What the local schedule sends the sweep: EventBridge Scheduler's event, plus `dryRun` for `POST /sweep`. */
export interface ScheduledSweepEvent {
  dryRun?: true;
  version: string;
  id: string;
  "detail-type": "Scheduled Event";
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, never>;
}
export type SweepHandler = (event: ScheduledSweepEvent, context: Context) => Promise<unknown>;

/** The outbox relay, invoked with the audit table's stream records. */
export type RelayHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<unknown>;

export interface ServiceHandlers {
  http: HttpHandler;
  bus: BusHandler;
  sweep: SweepHandler;
  relay: RelayHandler;
}

/** Imports the exact exported Lambda handlers; call after {@link applyServiceEnvironment}. */
export const importHandlers = async (): Promise<ServiceHandlers> => {
  const [http, bus, sweep, relay] = await Promise.all([
    import("#handlers/http-api.ts"),
    import("#handlers/cancel-requested.ts"),
    import("#handlers/expiry-sweep.ts"),
    import("#handlers/outbox-relay.ts"),
  ]);
  return { http: http.handler, bus: bus.handler, sweep: sweep.handler, relay: relay.handler };
};
