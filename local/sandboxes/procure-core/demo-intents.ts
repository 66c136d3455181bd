/**
 * The Procure-Core sandbox's demo data: one intent per row of the seed's cancel state
 * table, under fixed ids, plus expired SUBMITTED intents for the expiry sweep.
 *
 * | id                                          | app           | status                 |
 * |---------------------------------------------|---------------|------------------------|
 * | intent_67890 (the seed's example)           | dev_app_local | SUBMITTED              |
 * | intent_processing                           | dev_app_local | PROCESSING             |
 * | intent_shipped                              | dev_app_local | PROCESSING, shipped    |
 * | intent_completed / _draft / _failed / _cancelled | dev_app_local | as named          |
 * | intent_other_app                            | other_app     | SUBMITTED              |
 * | intent_expired_0001 … intent_expired_0020   | dev_app_local | SUBMITTED, 2–3 days old |
 *
 * Everything but the expired ones was created within the last hour, so an expiry sweep
 * (older than 24 h) leaves it alone.
 */
import { generateExpiredIntents, type IntentSeed } from "./intent-store.ts";

/** The seed cURL example's app id. */
export const DEMO_APP_ID = "dev_app_local";
/** The demo app's default secret (sandbox only; real secrets live in Secrets Manager). */
export const DEFAULT_DEMO_SECRET = "dev_secret_local";
/** A second known app, owner of `intent_other_app` (for 40301). */
export const OTHER_APP_ID = "other_app";
export const DEFAULT_OTHER_APP_SECRET = "other_secret_local";

export const DEMO_EXPIRED_COUNT = 20;

const MINUTE_MS = 60 * 1000;

/** The demo intents as of `now`. */
export const demoIntents = (now: number): IntentSeed[] => {
  const recent = (minutesAgo: number): number => now - minutesAgo * MINUTE_MS;
  return [
    { id: "intent_67890", appId: DEMO_APP_ID, status: "SUBMITTED", createdAt: recent(5) },
    { id: "intent_processing", appId: DEMO_APP_ID, status: "PROCESSING", createdAt: recent(10) },
    { id: "intent_shipped", appId: DEMO_APP_ID, status: "PROCESSING", createdAt: recent(15), shipped: true },
    { id: "intent_completed", appId: DEMO_APP_ID, status: "COMPLETED", createdAt: recent(20) },
    { id: "intent_draft", appId: DEMO_APP_ID, status: "DRAFT", createdAt: recent(25) },
    { id: "intent_failed", appId: DEMO_APP_ID, status: "FAILED", createdAt: recent(30) },
    { id: "intent_cancelled", appId: DEMO_APP_ID, status: "CANCELLED", createdAt: recent(35) },
    { id: "intent_other_app", appId: OTHER_APP_ID, status: "SUBMITTED", createdAt: recent(40) },
    ...generateExpiredIntents(DEMO_EXPIRED_COUNT, { appId: DEMO_APP_ID, now }),
  ];
};
