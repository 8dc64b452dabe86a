import {
  ForbiddenError,
  InvalidInputError,
  isSluiceError,
  type SluiceError,
  toSluiceError,
  UnauthorizedError,
} from "@sluice/core";
import { initTRPC, TRPCError } from "@trpc/server";
import type { ApiContext, Scope } from "./context.ts";
import { BODY_TOO_LARGE, httpStatusFor, retryAfterOf, trpcCodeOf } from "./errors.ts";
import { zodToInvalidInput } from "./zodError.ts";

/** Procedure metadata: the scope a caller needs, readable before the procedure runs. */
export interface ProcedureMeta {
  scope?: Scope;
}

const t = initTRPC
  .context<ApiContext>()
  .meta<ProcedureMeta>()
  .create({
    sse: {
      // Pings keep proxies from closing an idle stream while a long prompt is evaluated.
      ping: { enabled: true, intervalMs: 10_000 },
      client: { reconnectAfterInactivityMs: 30_000 },
    },
    errorFormatter({ shape, error, ctx }) {
      const sluice = sluiceErrorOf(error);
      return {
        ...shape,
        message: sluice?.message ?? shape.message,
        data: {
          ...shape.data,
          stack: undefined,
          httpStatus: sluice ? httpStatusFor(sluice) : shape.data.httpStatus,
          sluiceCode: sluice?.code ?? null,
          field: typeof sluice?.details.field === "string" ? sluice.details.field : null,
          retryAfterSeconds: (sluice && retryAfterOf(sluice)) ?? null,
          requestId: ctx?.requestId ?? null,
        },
      };
    },
  });

/**
 * The Sluice error behind a tRPC error: its cause, a zod failure as
 * INVALID_INPUT with the field path, a malformed request as INVALID_INPUT;
 * `undefined` for tRPC's own routing errors (unknown procedure, wrong method).
 */
export function sluiceErrorOf(error: TRPCError): SluiceError | undefined {
  const cause = error.cause;
  if (isSluiceError(cause)) return cause;
  if (cause && (cause as { name?: string }).name === "ZodError") return zodToInvalidInput(cause);
  if (error.code === "PAYLOAD_TOO_LARGE")
    return new InvalidInputError("the request body is too large", {
      cause: error,
      details: { field: "body", reason: BODY_TOO_LARGE },
    });
  if (["BAD_REQUEST", "PARSE_ERROR", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"].includes(error.code))
    return toSluiceError(error, "INVALID_INPUT");
  if (error.code === "INTERNAL_SERVER_ERROR") return toSluiceError(cause ?? error);
  return undefined;
}

/** Turns a thrown Sluice error into a TRPCError with the mapped code (the error stays its cause). */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && isSluiceError(result.error.cause)) {
    const cause = result.error.cause;
    (result as { error: TRPCError }).error = new TRPCError({
      code: trpcCodeOf(cause.code),
      message: cause.message,
      cause,
    });
  }
  return result;
});

function requireScope(scope: Scope) {
  return t.middleware(({ ctx, next }) => {
    if (ctx.principal === null) throw new UnauthorizedError("an API key is required");
    if (!ctx.principal.scopes.includes(scope))
      throw new ForbiddenError(`this API key lacks the ${scope} scope`, { details: { scope } });
    return next({ ctx: { ...ctx, principal: ctx.principal } });
  });
}

export const router = t.router;
/** Anyone may call (health). */
export const publicProcedure = t.procedure.use(mapErrors);
/** Needs the `infer` scope. */
export const inferProcedure = publicProcedure.meta({ scope: "infer" }).use(requireScope("infer"));
/** Needs the `admin` scope. */
export const adminProcedure = publicProcedure.meta({ scope: "admin" }).use(requireScope("admin"));
