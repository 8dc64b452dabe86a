/** Pipeline stages that get a span each; span names are `sluice.<stage>`. */
export const TRACE_STAGES = [
  "request",
  "validate",
  "auth",
  "cache",
  "cascade",
  "queue",
  "load",
  "prefill",
  "decode",
  "embed",
] as const;
export type TraceStage = (typeof TRACE_STAGES)[number];
