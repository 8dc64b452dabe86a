import { describe, expect, it } from "vitest";
import { serverSchema } from "./schema.ts";

describe("serverSchema", () => {
  it("fills defaults and rejects a port out of range", () => {
    expect(serverSchema.parse({})).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(serverSchema.safeParse({ port: 70000 }).success).toBe(false);
  });
});
