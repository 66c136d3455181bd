/**
 * The composition of the outbox relay, the one function that publishes to the bus. Kept
 * apart from container.ts so the EventBridge client is bundled into the relay alone: the
 * HTTP, bus, sweep and continuation functions never load it (see the cold-start bench).
 * Built once per container from `process.env` (readRelayConfig), like the service's.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { EventBridgePublisher } from "#adapters/events/event-bridge-publisher.ts";
import { OutboxRelay } from "#adapters/outbox/outbox-relay.ts";
import { type RelayConfig, readRelayConfig } from "./config.ts";
import {
  getLogger,
  getMetrics,
  recordOutboxEventShortened,
  recordOutboxPublished,
  recordOutboxPublishFailure,
} from "./observability.ts";

export interface RelayContainer {
  config: RelayConfig;
  logger: Logger;
  metrics: Metrics;
  relay: OutboxRelay;
}

export interface RelayOverrides {
  eventBridge?: EventBridgeClient;
  /** Waits between publish attempts (tests shorten them). */
  sleep?: (ms: number) => Promise<void>;
}

export const buildRelayContainer = (
  config: RelayConfig,
  observability: { logger: Logger; metrics: Metrics } = { logger: getLogger(), metrics: getMetrics() },
  overrides: RelayOverrides = {},
): RelayContainer => {
  const { logger, metrics } = observability;
  const eventBridge =
    overrides.eventBridge ??
    new EventBridgeClient({
      ...(config.eventBridgeEndpoint ? { endpoint: config.eventBridgeEndpoint } : {}),
      // A hung PutEvents must not eat the invocation: the relay retries within its deadline.
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 1_000, requestTimeout: config.eventBridgeTimeoutMs },
    });
  const publisher = new EventBridgePublisher({ client: eventBridge, eventBusName: config.eventBusName });
  const relay = new OutboxRelay({
    publisher,
    entrySize: (event) => publisher.entrySize(event),
    clock: { now: () => Date.now() },
    ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
    onPublished: (event, lagMs) => {
      recordOutboxPublished(metrics, lagMs);
      logger.debug("outcome event published", {
        eventId: event.detail.eventId,
        detailType: event.detailType,
        lagMs,
      });
    },
    onShortened: ({ event, originalBytes, sequenceNumber }) => {
      recordOutboxEventShortened(metrics);
      logger.error(
        "outcome event too large for PutEvents: published shortened; the full record is in the audit table",
        {
          eventId: event.detail.eventId,
          detailType: event.detailType,
          target: event.detail.target,
          originalBytes,
          fieldsCut: event.detail.shortened?.fields,
          sequenceNumber,
        },
      );
    },
    onPublishFailure: ({ error, attempt, events, sequenceNumber }) => {
      recordOutboxPublishFailure(metrics);
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      logger.warn("outcome events not published yet; retrying", { sequenceNumber, events, attempt, reason });
    },
  });
  return { config, logger, metrics, relay };
};

let current: RelayContainer | undefined;

/** The relay of this Lambda instance, built on first use from `process.env`. */
export const getRelayContainer = (): RelayContainer => {
  current ??= buildRelayContainer(readRelayConfig(process.env));
  return current;
};

/** Replaces the relay's container (tests and the local stack build theirs). */
export const setRelayContainer = (container: RelayContainer | undefined): void => {
  current = container;
};
