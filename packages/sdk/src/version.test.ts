import { describe, expect, it } from "vitest";
import { sdkErrorCodes } from "./version.ts";

describe("sdkErrorCodes", () => {
  it("exposes the stable codes of @sluice/core", () => {
    expect(sdkErrorCodes).toContain("RUNNER_CRASHED");
    expect(sdkErrorCodes).toContain("CONFIG_INVALID");
  });
});
