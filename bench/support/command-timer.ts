/**
 * Times every command an AWS SDK v3 client sends, per command name, from the SDK's first
 * middleware to its last: serialisation, signing, the HTTP round trip(s) and parsing. It
 * tells where a handler's time goes (which DynamoDB call, the event publish).
 */

interface MiddlewareClient {
  middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<unknown>,
        context: { commandName?: string },
      ) => (args: unknown) => Promise<unknown>,
      options: { step: "initialize"; priority: "high"; name: string },
    ): void;
    remove(name: string): boolean;
  };
}

export interface CommandTimer {
  /** Durations in ms by command name since the last reset. */
  samples(): Record<string, number[]>;
  reset(): void;
  detach(): void;
}

let timers = 0;

export const timeCommands = (client: unknown): CommandTimer => {
  const stack = (client as MiddlewareClient).middlewareStack;
  const samples = new Map<string, number[]>();
  const name = `benchCommandTimer${++timers}`;
  stack.add(
    (next, context) => async (args) => {
      const started = performance.now();
      try {
        return await next(args);
      } finally {
        const command = context.commandName ?? "unknown";
        const list = samples.get(command) ?? [];
        list.push(performance.now() - started);
        samples.set(command, list);
      }
    },
    { step: "initialize", priority: "high", name },
  );
  return {
    samples: () => Object.fromEntries(samples),
    reset: () => samples.clear(),
    detach: () => {
      stack.remove(name);
    },
  };
};
