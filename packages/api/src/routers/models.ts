import type { PullProgress } from "@sluice/sdk";
import { modelRef } from "../schemas.ts";
import { adminProcedure, inferProcedure, router } from "../trpc.ts";

/** Model administration; reading needs `infer`, changing needs `admin`. */
export const modelsRouter = router({
  list: inferProcedure.query(({ ctx }) => ctx.sluice.models.list()),
  /** The catalog: on disk or pullable, size, quantization, memory fit, and the configured state. */
  catalog: inferProcedure.query(({ ctx }) => ctx.sluice.models.catalog()),
  status: inferProcedure.input(modelRef).query(({ input, ctx }) => ctx.sluice.models.status(input.id)),
  load: adminProcedure
    .input(modelRef)
    .mutation(({ input, ctx }) => ctx.sluice.models.load(input.id, { actor: ctx.principal.id })),
  unload: adminProcedure
    .input(modelRef)
    .mutation(({ input, ctx }) => ctx.sluice.models.unload(input.id, { actor: ctx.principal.id })),
  verify: adminProcedure
    .input(modelRef)
    .mutation(({ input, ctx }) => ctx.sluice.models.verify(input.id, { actor: ctx.principal.id })),
  /** Streams progress events while the file is fetched and verified; the last has phase `"done"`. */
  pull: adminProcedure.input(modelRef).subscription(async function* ({ input, ctx }) {
    const queue: PullProgress[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    let failure: unknown;
    void ctx.sluice.models
      .pull(
        input.id,
        (p) => {
          queue.push(p);
          wake?.();
        },
        { actor: ctx.principal.id },
      )
      .catch((err: unknown) => {
        failure = err;
      })
      .finally(() => {
        finished = true;
        wake?.();
      });
    while (true) {
      const next = queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (finished) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
    if (failure !== undefined) throw failure;
  }),
});
