import { z } from "zod";
import { adminProcedure, publicProcedure, router } from "../trpc.ts";

/** Health, metrics snapshot, effective config and cascade insight. */
export const systemRouter = router({
  health: publicProcedure.query(({ ctx }) => ctx.sluice.health()),
  /** Prometheus text of this instance. */
  metrics: adminProcedure.query(async ({ ctx }) => (await ctx.sluice.metrics()).body),
  /** Recent metrics snapshots kept by the host (a short ring buffer), so charts start with history. */
  metricsHistory: adminProcedure.query(
    ({ ctx }) => ctx.metricsHistory?.() ?? { intervalMs: 0, snapshots: [] as { at: number; text: string }[] },
  ),
  /** The configuration in effect, secrets removed. */
  config: adminProcedure.query(({ ctx }) => ctx.sluice.effectiveConfig()),
});

export const cascadeRouter = router({
  /** Most recent routing decisions, newest first. */
  traces: adminProcedure
    .input(z.object({ limit: z.number().int().min(1).max(500).default(50) }).default({ limit: 50 }))
    .query(({ input, ctx }) => ctx.cascade?.traces(input.limit) ?? []),
  /** A/B experiment statistics, or `null` when no experiment runs. */
  abSummary: adminProcedure.query(({ ctx }) => ctx.cascade?.abSummary() ?? null),
});
