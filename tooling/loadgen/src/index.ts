export { type LoadOptions, type LoadRequest, type LoadResult, runLoad } from "./runLoad.ts";
export { type LoadSummary, summarize } from "./summary.ts";
