/**
 * The hooks a differential suite needs: moto_server started once before its tests, reset
 * before each, and stopped after them whatever happened (afterAll runs after a failure too).
 */
import { afterAll, beforeAll, beforeEach } from "vitest";
import { findMotoServer, motoUnavailable, type RunningMoto, startMotoServer } from "./moto-server.ts";

export const MOTO_SERVER = findMotoServer();

/** Set when the suite must skip; printed once by `announceSkip`. */
export const SKIP_REASON = motoUnavailable(MOTO_SERVER);

export const announceSkip = (suite: string): void => {
  if (SKIP_REASON !== undefined) console.log(`[${suite}] skipped: ${SKIP_REASON}`);
};

/** Registers the hooks; the returned function gives the running server inside a test. */
export const useMotoServer = (): (() => RunningMoto) => {
  let moto: RunningMoto | undefined;
  beforeAll(async () => {
    moto = await startMotoServer(MOTO_SERVER as string);
  }, 90_000);
  afterAll(async () => {
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto?.reset();
  });
  return () => {
    if (moto === undefined) throw new Error("moto_server did not start (see beforeAll)");
    return moto;
  };
};
