/**
 * A handler kit (handler-kit.ts) whose clients secret holds the grant clients (grant-clients.ts),
 * for one test file's `describe`: started before its tests, closed after them (even when a test
 * fails). Read `kit` inside tests, not at the top level: it is filled in `beforeAll`.
 */
import { afterAll, beforeAll, inject } from "vitest";
import { type GrantClients, grantClients } from "./grant-clients.ts";
import { type HandlerKit, startHandlerKit } from "./handler-kit.ts";

export const useGrantedHandlerKit = (name: string): { kit: HandlerKit; clients: GrantClients } => {
  const clients = grantClients();
  const kit = {} as HandlerKit;
  let started: HandlerKit | undefined;
  beforeAll(async () => {
    started = await startHandlerKit({
      name,
      dynamoEndpoint: inject("dynamoEndpoint"),
      clients: clients.secretEntries,
    });
    Object.assign(kit, started);
  });
  afterAll(async () => {
    await started?.close();
  });
  return { kit, clients };
};
