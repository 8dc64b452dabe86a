import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { isSluiceError } from "../../src/errors/index.ts";
import { validateGgufBuffer, validateGgufFile } from "../../src/models/index.ts";
import { buildGguf, dataOffsetOf, LFM2_TINY, lfm2Spec } from "./fixtures/ggufFixture.ts";

const spec = lfm2Spec({ ...LFM2_TINY, ff: 64 });
const base = buildGguf(spec);
const headerEnd = dataOffsetOf(spec);

type Corruption = { kind: string; apply: (b: Buffer) => Buffer };

const position = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: headerEnd - 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: base.length - 1 }) },
);
const hugeU64 = fc.constantFrom(
  0n,
  1n,
  0xffff_ffffn,
  1n << 32n,
  1n << 40n,
  (1n << 63n) - 1n,
  1n << 63n,
  (1n << 64n) - 1n,
  BigInt(base.length),
  BigInt(base.length + 1),
);
const hugeU32 = fc.constantFrom(0, 1, 3, 4, 5, 9, 12, 13, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff);

const corruption: fc.Arbitrary<Corruption> = fc.oneof(
  fc.integer({ min: 0, max: base.length - 1 }).map((at) => ({
    kind: "truncation",
    apply: (b: Buffer) => b.subarray(0, at),
  })),
  fc
    .array(fc.tuple(position, fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 })
    .map((flips) => ({
      kind: "bit flips",
      apply: (b: Buffer) => {
        for (const [at, bit] of flips) b[at]! ^= 1 << bit;
        return b;
      },
    })),
  fc.tuple(fc.constantFrom(0, 4, 8, 16), hugeU64).map(([at, value]) => ({
    kind: "header field overwritten",
    apply: (b: Buffer) => {
      if (at < 8) b.writeUInt32LE(Number(value & 0xffff_ffffn), at);
      else b.writeBigUInt64LE(value, at);
      return b;
    },
  })),
  fc.tuple(fc.integer({ min: 24, max: headerEnd - 8 }), hugeU64).map(([at, value]) => ({
    kind: "huge length or count",
    apply: (b: Buffer) => {
      b.writeBigUInt64LE(value, at);
      return b;
    },
  })),
  fc.tuple(fc.integer({ min: 24, max: headerEnd - 4 }), hugeU32).map(([at, value]) => ({
    kind: "type or dimension overwritten",
    apply: (b: Buffer) => {
      b.writeUInt32LE(value, at);
      return b;
    },
  })),
  fc
    .tuple(
      fc.integer({ min: 0, max: headerEnd }),
      fc.integer({ min: 1, max: 64 }),
      fc.uint8Array({ maxLength: 64 }),
    )
    .map(([at, remove, insert]) => ({
      kind: "bytes spliced",
      apply: (b: Buffer) => Buffer.concat([b.subarray(0, at), insert, b.subarray(at + remove)]),
    })),
);

describe("GGUF validator under fuzzing", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("gives every one of 2,500 corruptions a typed verdict and throws nothing else", () => {
    const verdicts = new Map<string, number>();
    const kinds = new Map<string, number>();
    let slowest = { ms: 0, kind: "" };
    fc.assert(
      fc.property(corruption, (c) => {
        const bytes = c.apply(Buffer.from(base));
        const started = performance.now();
        let verdict = "valid";
        try {
          validateGgufBuffer(bytes);
        } catch (err) {
          if (!isSluiceError(err) || (err.code !== "MODEL_CORRUPT" && err.code !== "MODEL_UNSUPPORTED"))
            throw err;
          verdict = err.code;
        }
        const ms = performance.now() - started;
        if (ms > slowest.ms) slowest = { ms, kind: c.kind };
        verdicts.set(verdict, (verdicts.get(verdict) ?? 0) + 1);
        kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
      }),
      { numRuns: 2_500, seed: 20_260_601 },
    );
    const total = [...verdicts.values()].reduce((a, b) => a + b, 0);
    console.log(
      `GGUF fuzz: ${total} corruptions of a ${base.length}-byte file; verdicts ${JSON.stringify(Object.fromEntries(verdicts))}; ` +
        `kinds ${JSON.stringify(Object.fromEntries(kinds))}; slowest validation ${slowest.ms.toFixed(2)} ms (${slowest.kind})`,
    );
    expect(total).toBeGreaterThanOrEqual(2_000);
    expect(verdicts.get("MODEL_CORRUPT") ?? 0).toBeGreaterThan(1_000);
    expect(kinds.size).toBe(6);
  });

  it("gives the same verdicts through the bounded file reader as in memory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sluice-fuzz-"));
    dirs.push(dir);
    const samples = fc.sample(corruption, { numRuns: 200, seed: 7 });
    let i = 0;
    for (const c of samples) {
      const bytes = c.apply(Buffer.from(base));
      const path = join(dir, `m${i++}.gguf`);
      await writeFile(path, bytes);
      const inMemory = verdictOf(() => validateGgufBuffer(bytes));
      const fromFile = await validateGgufFile(path, { initialReadBytes: 64 }).then(
        () => "valid",
        (err: unknown) => (isSluiceError(err) ? err.code : `untyped: ${String(err)}`),
      );
      expect(fromFile, `${c.kind} #${i}`).toBe(inMemory);
    }
  });
});

function verdictOf(fn: () => unknown): string {
  try {
    fn();
    return "valid";
  } catch (err) {
    return isSluiceError(err) ? err.code : `untyped: ${String(err)}`;
  }
}
