/** Time and ids, as dependencies: the core never reads the clock or makes an id by itself. */

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export interface Ids {
  /** A new ULID. */
  next(): string;
  /** A stable UUID derived from `name` (name-based, shaped as v4): the same name always gives the same id. */
  derived(name: string): string;
}
