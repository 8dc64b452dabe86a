import { randomUUID } from "node:crypto";
import { type Client, NOOP_PROVIDER, OpenFeature } from "@openfeature/server-sdk";
import type { FlagsConfig } from "../schema/flags.ts";
import { ConfigFlagProvider } from "./ConfigFlagProvider.ts";

/** Feature flags of one Sluice instance. */
export interface FeatureFlags {
  /** OpenFeature client bound to this instance's provider. */
  readonly client: Client;
  readonly provider: ConfigFlagProvider;
  /** OpenFeature domain of this instance. */
  readonly domain: string;
  /** Applies new flags (from a hot reload). */
  update(flags: FlagsConfig): void;
  /** Detaches the provider; safe twice. */
  close(): Promise<void>;
}

/** Options of {@link createFeatureFlags}. */
export interface FeatureFlagsOptions {
  /** OpenFeature domain; each Sluice instance gets its own so instances never share flags. Defaults to a random `sluice-<uuid>`. */
  domain?: string;
}

/** Registers a {@link ConfigFlagProvider} for `flags` in its own OpenFeature domain and waits until it is ready. */
export async function createFeatureFlags(
  flags: FlagsConfig,
  options: FeatureFlagsOptions = {},
): Promise<FeatureFlags> {
  const domain = options.domain ?? `sluice-${randomUUID()}`;
  const provider = new ConfigFlagProvider(flags);
  await OpenFeature.setProviderAndWait(domain, provider);
  let closed: Promise<void> | undefined;
  return {
    client: OpenFeature.getClient(domain),
    provider,
    domain,
    update: (next) => provider.update(next),
    close: () => {
      // The API has no per-domain removal; the no-op provider serves defaults from then on.
      closed ??= OpenFeature.setProviderAndWait(domain, NOOP_PROVIDER);
      return closed;
    },
  };
}
