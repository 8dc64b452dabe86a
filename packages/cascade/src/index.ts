export { stableUnitHash } from "./stableHash.ts";
