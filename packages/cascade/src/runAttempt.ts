import type { GenerateParams } from "@sluice/core";
import { AbortedError, isSluiceError, type SluiceError, TimeoutError, toSluiceError } from "@sluice/core";
import type { TierAnswer, TierBackend } from "./TierBackend.ts";

export type AttemptResult =
  | { ok: true; answer: TierAnswer }
  | { ok: false; error: SluiceError; callerAborted: boolean; timedOut: boolean };

/**
 * One call to a tier under the request's remaining time. The race against the
 * abort means a backend that ignores its signal still cannot hold the request
 * past its deadline.
 */
export async function runAttempt(
  backend: TierBackend,
  params: GenerateParams,
  deadlineMs: number,
  callerSignal: AbortSignal | undefined,
): Promise<AttemptResult> {
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new TimeoutError(`tier ${backend.id} did not answer within ${Math.round(deadlineMs)} ms`),
      ),
    deadlineMs,
  );
  const onCallerAbort = (): void => {
    const reason: unknown = callerSignal?.reason;
    controller.abort(
      isSluiceError(reason) ? reason : new AbortedError("the request was aborted", { cause: reason }),
    );
  };
  if (callerSignal?.aborted) onCallerAbort();
  else callerSignal?.addEventListener("abort", onCallerAbort, { once: true });
  const aborted = new Promise<never>((_, reject) => {
    if (controller.signal.aborted) reject(controller.signal.reason);
    else controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
  });
  try {
    const call = Promise.resolve().then(() =>
      backend.generate(params, { signal: controller.signal, deadlineMs }),
    );
    // The race may settle first; a late rejection of the call must not go unhandled.
    call.catch(() => undefined);
    const answer = await Promise.race([call, aborted]);
    return { ok: true, answer };
  } catch (err) {
    const callerAborted = callerSignal?.aborted === true;
    // Our own abort reason says what happened (deadline or caller); the backend's error may only say "aborted".
    const reason = controller.signal.aborted ? controller.signal.reason : err;
    return {
      ok: false,
      error: toSluiceError(reason),
      callerAborted,
      timedOut: !callerAborted && controller.signal.aborted,
    };
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener("abort", onCallerAbort);
  }
}
