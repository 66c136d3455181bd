/**
 * This container's upkeep of the rings it takes from (ADR 0008): how it last saw each ring
 * (after its own takes and refusals: the form its next take has, a guess the store decides),
 * the repair of a ring left past a bucket's edge, and a missing, damaged or resized ring
 * written anew.
 */
import {
  type RingName,
  type RingSize,
  type RingState,
  repairOf,
  repairRing,
  uniformRing,
} from "./budget-ring.ts";
import { type RingKey, type RingStore, ringKeyText } from "./budget-ring-store.ts";
import { resizeRing } from "./ring-health.ts";
import type { StoredRing } from "./stored-ring.ts";

/** Repairs one take makes in a row at most (each after another container's write changed the ring). */
const MAX_REPAIRS_IN_A_ROW = 3;
/** An idle ring is deleted by TTL after a day; a missing ring is an empty one. */
const RING_LIFETIME_SECONDS = 86_400;

/** The TTL (epoch seconds) a ring written at `now` gets. */
export const ringExpiryOf = (now: number): number => Math.floor(now / 1000) + RING_LIFETIME_SECONDS;

export type RingWas = "absent" | "damaged" | "resizable";

export interface RecreatedRing {
  upstream: string;
  client: string;
  ring: RingName;
  was: RingWas;
}

export class RingKeeper {
  readonly #store: RingStore;
  readonly #now: () => number;
  readonly #onRecreated: ((event: RecreatedRing) => void) | undefined;
  readonly #lastSeen = new Map<string, RingState>();

  constructor(options: {
    store: RingStore;
    now: () => number;
    onRecreated?: (event: RecreatedRing) => void;
  }) {
    this.#store = options.store;
    this.#now = options.now;
    this.#onRecreated = options.onRecreated;
  }

  /** The ring as last seen, or a fresh one (its first take's form) when never seen or of another size. */
  seen(key: RingKey, size: RingSize): RingState {
    const seen = this.#lastSeen.get(ringKeyText(key));
    return seen !== undefined && seen.slots === size.slots && seen.bucket === size.bucket
      ? seen
      : uniformRing(size, 0);
  }

  remember(key: RingKey, ring: RingState): void {
    this.#lastSeen.set(ringKeyText(key), ring);
  }

  /**
   * Repairs a ring past a bucket's edge while it needs it: each write conditional on the edge
   * still being passed and the buckets as counted, so a repair lost to another (a drop to a
   * seal, say) is tried again on the ring it returned; at most a few, and none past the
   * deadline (the next take finds the ring still needing it). Returns the round trips made.
   */
  async repair(key: RingKey, size: RingSize, seen: RingState, deadline: number): Promise<number> {
    let ring = seen;
    let trips = 0;
    for (let repair = repairOf(ring); repair !== undefined; repair = repairOf(ring)) {
      if (trips >= MAX_REPAIRS_IN_A_ROW || this.#now() >= deadline) break;
      trips++;
      const result = await this.#store.repair(key, size, repair);
      if (result.repaired) ring = repairRing(ring, repair);
      else if (result.current.kind === "present" && result.current.ring) ring = result.current.ring;
      else break;
      this.remember(key, ring);
    }
    return trips;
  }

  /**
   * Writes the ring anew: empty when missing; carried over with its newest times when of
   * another size; spent (every slot now) when damaged, since nothing is known of what it
   * recorded and refusing for one window is safe where guessing is not.
   */
  async recreate(key: RingKey, size: RingSize, current: StoredRing, was: RingWas): Promise<void> {
    const now = this.#now();
    const ring: RingState =
      was === "absent"
        ? uniformRing(size, 0)
        : was === "resizable" && current.kind === "present" && current.ring
          ? resizeRing(current.ring, size)
          : uniformRing(size, now);
    // Lost to another container that recreated it first: either way, the next take reads the new one.
    if (await this.#store.replace(key, ring, current, ringExpiryOf(now))) {
      this.remember(key, ring);
      this.#onRecreated?.({ upstream: key.upstream, client: key.client, ring: key.ring, was });
    }
  }
}
