/**
 * Code a function needs only on some invocations, loaded on the first of them. The
 * composition root passes a port built by `portOnFirstUse` where an adapter would go: the
 * adapter's module (and the SDK client it imports) is reached through `import()`, so the
 * deployed bundle keeps it in a chunk of its own that module init never reads
 * (`npm run bench -- --only cold-start` measures what that saves).
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
