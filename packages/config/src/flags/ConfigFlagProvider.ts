import { createHash } from "node:crypto";
import {
  type EvaluationContext,
  FlagNotFoundError,
  type FlagValue,
  type JsonValue,
  OpenFeatureEventEmitter,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
  StandardResolutionReasons,
  TypeMismatchError,
} from "@openfeature/server-sdk";
import type { FlagsConfig, VariantFlag } from "../schema/flags.ts";

/**
 * Picks a variant of `flag` for `targetingKey`: the same key always gets the
 * same variant (sticky A/B assignment), and keys spread by the weights.
 */
export function pickVariant(flagKey: string, flag: VariantFlag, targetingKey: string): string {
  const names = Object.keys(flag.variants);
  const weights = names.map((n) => flag.weights?.[n] ?? (flag.weights ? 0 : 1));
  const total = weights.reduce((a, b) => a + b, 0);
  if (total <= 0) return names[0] as string;
  // 48 bits of sha256 as a fraction in [0, 1): uniform enough, stable across processes.
  const digest = createHash("sha256").update(`${flagKey}\u0000${targetingKey}`).digest();
  let point = (digest.readUIntBE(0, 6) / 2 ** 48) * total;
  for (let i = 0; i < names.length; i++) {
    point -= weights[i] as number;
    if (point < 0) return names[i] as string;
  }
  return names.at(-1) as string;
}

const isVariantFlag = (value: unknown): value is VariantFlag =>
  typeof value === "object" && value !== null && "variants" in value;

/**
 * OpenFeature provider over the `flags` section of the config. Plain values
 * resolve as they are; `{ variants, weights }` flags split by the context's
 * `targetingKey` (the API key id), which is how the cascade runs A/B tests.
 * `update()` swaps the flags on a hot reload and emits ConfigurationChanged.
 */
export class ConfigFlagProvider implements Provider {
  readonly metadata = { name: "sluice-config" } as const;
  readonly runsOn = "server" as const;
  readonly events = new OpenFeatureEventEmitter();
  #flags: FlagsConfig;

  constructor(flags: FlagsConfig) {
    this.#flags = flags;
  }

  /** Replaces the flags; listeners get the keys that changed. */
  update(flags: FlagsConfig): void {
    const keys = new Set([...Object.keys(this.#flags), ...Object.keys(flags)]);
    const changed = [...keys].filter((k) => JSON.stringify(this.#flags[k]) !== JSON.stringify(flags[k]));
    this.#flags = flags;
    if (changed.length > 0) this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: changed });
  }

  resolveBooleanEvaluation(
    key: string,
    _d: boolean,
    ctx: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    return Promise.resolve(this.#resolve(key, "boolean", ctx));
  }

  resolveStringEvaluation(
    key: string,
    _d: string,
    ctx: EvaluationContext,
  ): Promise<ResolutionDetails<string>> {
    return Promise.resolve(this.#resolve(key, "string", ctx));
  }

  resolveNumberEvaluation(
    key: string,
    _d: number,
    ctx: EvaluationContext,
  ): Promise<ResolutionDetails<number>> {
    return Promise.resolve(this.#resolve(key, "number", ctx));
  }

  resolveObjectEvaluation<T extends JsonValue>(
    key: string,
    _d: T,
    ctx: EvaluationContext,
  ): Promise<ResolutionDetails<T>> {
    // Object flags are variant maps; resolving one as an object returns the chosen value.
    return Promise.resolve(this.#resolve(key, "object", ctx) as ResolutionDetails<T>);
  }

  #resolve<T extends FlagValue>(key: string, type: string, ctx: EvaluationContext): ResolutionDetails<T> {
    const flag = this.#flags[key];
    if (flag === undefined) throw new FlagNotFoundError(`flag ${key} is not in the config`);
    let value: unknown;
    let details: Omit<ResolutionDetails<T>, "value">;
    if (isVariantFlag(flag)) {
      const names = Object.keys(flag.variants);
      const variant = ctx.targetingKey
        ? pickVariant(key, flag, ctx.targetingKey)
        : (flag.defaultVariant ?? (names[0] as string));
      value = flag.variants[variant];
      details = {
        variant,
        reason: ctx.targetingKey ? StandardResolutionReasons.SPLIT : StandardResolutionReasons.DEFAULT,
      };
    } else {
      value = flag;
      details = { reason: StandardResolutionReasons.STATIC };
    }
    if (type !== "object" && typeof value !== type) {
      throw new TypeMismatchError(`flag ${key} is a ${typeof value}, not a ${type}`);
    }
    return { value: value as T, ...details };
  }
}
