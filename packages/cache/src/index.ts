export { cacheKey } from "./key.ts";
