import { z } from "zod";
import { JsonStateFile } from "./jsonStateFile.ts";

const PinSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  sizeBytes: z.number().int().nonnegative(),
  fileName: z.string(),
  uri: z.string().optional(),
  pinnedAt: z.string(),
});
export type DigestPin = z.infer<typeof PinSchema>;
const FileSchema = z.object({ version: z.literal(1), pins: z.record(z.string(), PinSchema) });
type LockFileData = z.infer<typeof FileSchema>;

/**
 * The lock file of pinned digests: a model whose digest the catalog lacks is
 * pinned here on first download (trust on first use) and enforced after, so
 * a later download that differs is refused like a corrupt file.
 */
export class DigestLock {
  readonly #file: JsonStateFile<LockFileData>;

  constructor(path: string) {
    this.#file = new JsonStateFile(path, FileSchema, () => ({ version: 1, pins: {} }));
  }

  get path(): string {
    return this.#file.path;
  }

  /** The pin for a key (a catalog id or a remote URI). */
  async get(key: string): Promise<DigestPin | undefined> {
    return (await this.#file.read()).pins[key];
  }

  /** Pins of files stored under this name. */
  async findByFileName(fileName: string): Promise<DigestPin[]> {
    return Object.values((await this.#file.read()).pins).filter((p) => p.fileName === fileName);
  }

  /** Pins a digest unless the key already has one; returns the pin in force. */
  async pin(key: string, pin: Omit<DigestPin, "pinnedAt">): Promise<DigestPin> {
    const data = await this.#file.update((f) =>
      f.pins[key]
        ? f
        : { version: 1, pins: { ...f.pins, [key]: { ...pin, pinnedAt: new Date().toISOString() } } },
    );
    return data.pins[key]!;
  }
}
