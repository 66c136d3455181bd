import { describe, expect, it } from "vitest";
import { loadOnFirstUse, portOnFirstUse } from "#wiring/load-on-first-use.ts";

interface Greeter {
  greet(name: string): Promise<string>;
}

class Formal implements Greeter {
  readonly #title: string;
  constructor(title: string) {
    this.#title = title;
  }
  async greet(name: string): Promise<string> {
    return `Good day, ${this.#title} ${name}`;
  }
}

describe("loadOnFirstUse", () => {
  it("loads nothing until asked, then once for every caller, those arriving meanwhile included", async () => {
    let loads = 0;
    const get = loadOnFirstUse(async () => {
      loads++;
      return { value: 42 };
    });
    expect(loads).toBe(0);
    const [first, second] = await Promise.all([get(), get()]);
    const third = await get();
    expect(loads).toBe(1);
    expect(first).toBe(second);
    expect(third).toBe(first);
  });

  it("tries a failed load again on the next call, and keeps the one that worked", async () => {
    let loads = 0;
    const get = loadOnFirstUse(async () => {
      loads++;
      if (loads === 1) throw new Error("chunk not readable");
      return "loaded";
    });
    await expect(get()).rejects.toThrow("chunk not readable");
    await expect(get()).resolves.toBe("loaded");
    await expect(get()).resolves.toBe("loaded");
    expect(loads).toBe(2);
  });
});

describe("portOnFirstUse", () => {
  it("builds the adapter on the first call, and every call is the adapter's own (this, arguments, answer)", async () => {
    let built = 0;
    const port = portOnFirstUse<Greeter>(async () => {
      built++;
      return new Formal("Dr");
    }, ["greet"]);
    expect(built).toBe(0);
    await expect(port.greet("Ada")).resolves.toBe("Good day, Dr Ada");
    await expect(port.greet("Grace")).resolves.toBe("Good day, Dr Grace");
    expect(built).toBe(1);
  });

  it("rejects a call with the adapter's own error, and with the load's when the load fails", async () => {
    const failing = portOnFirstUse<Greeter>(
      async () => ({ greet: async () => Promise.reject(new TypeError("refused")) }),
      ["greet"],
    );
    await expect(failing.greet("Ada")).rejects.toThrow(TypeError);
    const unloadable = portOnFirstUse<Greeter>(async () => Promise.reject(new Error("no module")), ["greet"]);
    await expect(unloadable.greet("Ada")).rejects.toThrow("no module");
  });
});
