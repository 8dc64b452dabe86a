import type { SluiceConfigInput } from "@sluice/config";
import type { Harness, StartOptions } from "./harness.ts";

/** An observable check of one config field: set it (in the profile's config), observe its effect. */
export type FieldCheck = (h: Harness) => Promise<void>;

/**
 * Fields checked against one shared server started from `config`. A profile
 * with `config: null` starts no server: its checks start their own.
 */
export interface Profile {
  name: string;
  config: SluiceConfigInput | ((dir: string) => SluiceConfigInput) | null;
  start?: StartOptions;
  /** Runs before the server starts (files the config points at). */
  prepare?: (dir: string) => Promise<void> | void;
  fields: Record<string, FieldCheck>;
}
