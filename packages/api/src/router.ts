import type { Scope } from "./context.ts";
import { chatRouter, embedProcedure, generateRouter } from "./routers/inference.ts";
import { modelsRouter } from "./routers/models.ts";
import { cascadeRouter, systemRouter } from "./routers/system.ts";
import { type ProcedureMeta, router } from "./trpc.ts";

/** The whole tRPC API; mounted by apps at `/trpc`. */
export const appRouter = router({
  generate: generateRouter,
  chat: chatRouter,
  embed: embedProcedure,
  models: modelsRouter,
  cascade: cascadeRouter,
  system: systemRouter,
});
export type AppRouter = typeof appRouter;

/**
 * What calling `path` (`chat.stream`) needs: a scope, `null` for a public
 * procedure, `undefined` for no such procedure. The transport checks it
 * before a subscription's stream starts, so an unauthorized one is a plain
 * 401/403 rather than HTTP 200 and an error event.
 */
export function procedureAccess(path: string): { scope: Scope | null; subscription: boolean } | undefined {
  const procedures = appRouter._def.procedures as unknown as Record<
    string,
    { _def: { meta?: ProcedureMeta; type: string } } | undefined
  >;
  const procedure = Object.hasOwn(procedures, path) ? procedures[path] : undefined;
  if (procedure === undefined) return undefined;
  return { scope: procedure._def.meta?.scope ?? null, subscription: procedure._def.type === "subscription" };
}
