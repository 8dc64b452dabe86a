import { describe, expect, it } from "vitest";
import { appRouter } from "./router.ts";

describe("appRouter", () => {
  it("answers health through a server-side caller", async () => {
    const caller = appRouter.createCaller({});
    expect(await caller.health()).toEqual({ status: "ok" });
  });
});
