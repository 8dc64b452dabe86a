import { chatRouter, embedProcedure, generateRouter } from "./routers/inference.ts";
import { modelsRouter } from "./routers/models.ts";
import { cascadeRouter, systemRouter } from "./routers/system.ts";
import { router } from "./trpc.ts";

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
