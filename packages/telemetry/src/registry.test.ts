import { Counter } from "prom-client";
import { describe, expect, it } from "vitest";
import { createRegistry } from "./registry.ts";

describe("createRegistry", () => {
  it("renders metrics registered on it and not those of another registry", async () => {
    const a = createRegistry();
    const b = createRegistry();
    new Counter({ name: "sluice_shell_total", help: "x", registers: [a] }).inc();
    expect(await a.metrics()).toContain("sluice_shell_total 1");
    expect(await b.metrics()).not.toContain("sluice_shell_total");
  });
});
