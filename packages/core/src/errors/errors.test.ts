import { describe, expect, it } from "vitest";
import { errorFromCode, QueueFullError, RunnerCrashedError, reviveError, toSluiceError } from "./errors.ts";
import { ErrorCode, isSluiceError, SluiceError } from "./SluiceError.ts";

describe("SluiceError", () => {
  it("gives every code a subclass whose code, status and name agree", () => {
    for (const code of Object.values(ErrorCode)) {
      const err = errorFromCode(code, "x");
      expect(err.code).toBe(code);
      expect(err).toBeInstanceOf(SluiceError);
      expect(err.httpStatus).toBeGreaterThanOrEqual(400);
      expect(err.name).not.toBe("SluiceError");
    }
  });

  it("marks crashes and full queues retryable but not invalid input", () => {
    expect(new RunnerCrashedError("x").retryable).toBe(true);
    expect(new QueueFullError("x").retryable).toBe(true);
    expect(errorFromCode("INVALID_INPUT", "x").retryable).toBe(false);
  });

  it("survives a JSON round trip with code, details and class", () => {
    const original = new QueueFullError("queue full", { details: { retryAfterMs: 1200 } });
    const revived = reviveError(JSON.parse(JSON.stringify(original)));
    expect(revived).toBeInstanceOf(QueueFullError);
    expect(revived.details).toEqual({ retryAfterMs: 1200 });
    expect(isSluiceError(revived)).toBe(true);
    expect(isSluiceError(new Error("plain"))).toBe(false);
  });

  it("wraps foreign errors as INFERENCE_FAILED and keeps the cause", () => {
    const cause = new Error("native");
    const wrapped = toSluiceError(cause);
    expect(wrapped.code).toBe("INFERENCE_FAILED");
    expect(wrapped.cause).toBe(cause);
  });
});
