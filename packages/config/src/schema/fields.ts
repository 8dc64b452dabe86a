import { z } from "zod";

// Small builders so every section reads as a table of fields. Each field ends
// with `.describe()`: the docs generator lists the descriptions, so describe
// must stay the outermost call (wrappers such as .default() drop it).

/** An integer in [min, max]. */
export const int = (min: number, max: number = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);

/** A duration in milliseconds, 0 … 7 days. */
export const ms = () => int(0, 7 * 24 * 3_600_000);

/** A byte count, up to 16 TiB. */
export const bytes = () => int(0, 2 ** 44);

/** A 0 … 1 ratio. */
export const ratio = () => z.number().min(0).max(1);

/** A nested section whose fields all have defaults; an absent section gets them all. */
export const section = <T extends z.core.$ZodLooseShape>(shape: T, description: string) =>
  // The cast: TS cannot see that a shape whose fields all have defaults accepts `{}`.
  z
    .strictObject(shape)
    .prefault({} as never)
    .describe(description);
