/**
 * Code a function needs only on some invocations, loaded on the first of them. The
 * composition root passes a port built by `portOnFirstUse` where an adapter would go: the
 * adapter's module (and the SDK client it imports) is reached through `import()`, so the
 * deployed bundle keeps it in a chunk of its own that module init never reads
 * (`npm run bench -- --only cold-start` measures what that saves).
 *
 * What a module loaded on first use costs init: the bundler (esbuild, split) puts the code it
 * shares with init in chunks of their own, one per set of entries sharing it, and each file read
 * at init costs about as much as 5 KiB of code. So it pays for a module that brings much of its
 * own (an SDK client, csv-parse), not for one that mostly shares init's code. Measured with
 * callgrind (instructions of a fresh process importing the bundle, 3 runs each, ±4 M; the
 * reference's module init is ~128 M): the bulk job store on first use took expiry-sweep from
 * 10 files read at init to 15 and 362.3 to 358.6 KiB, yet +11 M instructions; with the bulk and
 * operators' routes on first use too, http-api went 10 → 18 files, 413.8 → 395.7 KiB, +15 M;
 * those routes alone, 12 files and 399.4 KiB, +4 M; A55 loaded at init instead of on first
 * use, 9 files and 419.3 KiB, ±0. None of them was kept.
 *
 * Written here rather than taken from a library: it is one memoised promise, and the
 * ports it serves are this service's own interfaces.
 */

/** Loads once, on the first call; calls made meanwhile share the load; a failed load is tried again on the next call. */
export const loadOnFirstUse = <T>(load: () => Promise<T>): (() => Promise<T>) => {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
};

/** The names of a port's methods; every one returns a promise, so a call can wait for the load. */
type AsyncMethodOf<Port> = {
  [Name in keyof Port]: Port[Name] extends (...args: never[]) => Promise<unknown> ? Name : never;
}[keyof Port];

/**
 * A port whose adapter is built by `load` on the first call of any of `methods` (the
 * port's whole interface): each call waits for the adapter, then is the adapter's call.
 */
export const portOnFirstUse = <Port extends object>(
  load: () => Promise<Port>,
  methods: readonly AsyncMethodOf<Port>[],
): Port => {
  const adapter = loadOnFirstUse(load);
  const port: Partial<Record<PropertyKey, unknown>> = {};
  for (const method of methods) {
    port[method] = async (...args: unknown[]) => {
      const loaded = await adapter();
      return (loaded[method] as (...args: unknown[]) => Promise<unknown>).apply(loaded, args);
    };
  }
  return port as Port;
};
