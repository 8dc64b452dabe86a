import type { LlamaContextSequence, Token } from "node-llama-cpp";
import { DisposedError } from "../../errors/index.ts";
import { abortReason } from "./ResourcePool.ts";

/** Counters of sequence reuse (state reuse for multi-turn chats). */
export interface SequenceReuseStats {
  /** Requests whose prompt extended a kept sequence, so only the suffix was evaluated. */
  hits: number;
  /** Requests that found no kept sequence their prompt extends. */
  misses: number;
  /** Prompt tokens not evaluated thanks to hits. */
  savedTokens: number;
  /** Kept sequences cleared to make room for other prompts (LRU). */
  evictions: number;
  /** Idle sequences holding a finished request's state now. */
  kept: number;
}

/** A sequence handed out by SequenceStore.acquire. */
export interface SequenceLease {
  sequence: LlamaContextSequence;
  /** Leading prompt tokens already in the sequence's state (0 = starts empty). */
  reusedTokens: number;
}

interface Slot {
  sequence: LlamaContextSequence;
  /** Tokens in the sequence's state; empty when cleared. */
  tokens: readonly Token[];
  lastUsed: number;
}

interface Waiter {
  prompt: readonly Token[];
  resolve(slot: Slot): void;
  reject(err: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** Length of `kept` when it is a proper prefix of `prompt` (at least one token left to evaluate), else -1. */
export function extensionLength<T>(kept: readonly T[], prompt: readonly T[]): number {
  if (kept.length === 0 || kept.length >= prompt.length) return -1;
  for (let i = 0; i < kept.length; i++) if (kept[i] !== prompt[i]) return -1;
  return kept.length;
}

/**
 * The generation context's sequences, handed out first come, first served.
 * When reuse is on, a finished request's sequence keeps its state and tokens;
 * a later prompt that extends those tokens exactly (a chat's next turn: the
 * previous prompt + answer + new message) gets that sequence and evaluates
 * only the new suffix. A sequence is never cut back to a shorter prefix: the
 * conv layers of hybrid models such as LFM2 keep recurrent state that
 * llama.cpp can not roll back. Prompts that extend nothing take an empty
 * sequence, else the least recently used kept one, which is cleared first.
 */
export class SequenceStore {
  readonly #slots: Slot[];
  readonly #free: Slot[];
  readonly #bySequence = new Map<LlamaContextSequence, Slot>();
  readonly #waiters: Waiter[] = [];
  readonly #reuse: boolean;
  readonly #stats = { hits: 0, misses: 0, savedTokens: 0, evictions: 0 };
  #clock = 0;
  #disposed = false;
  /** Released sequences whose state is being cleared: neither serving a request nor free yet. */
  #clearing = 0;

  constructor(sequences: readonly LlamaContextSequence[], options: { reuse: boolean }) {
    if (sequences.length === 0) throw new RangeError("SequenceStore needs at least one sequence, got 0");
    this.#slots = sequences.map((sequence) => ({ sequence, tokens: [], lastUsed: 0 }));
    this.#free = [...this.#slots];
    for (const slot of this.#slots) this.#bySequence.set(slot.sequence, slot);
    this.#reuse = options.reuse;
  }

  /** Sequences serving a request (not free, not being cleared after one). */
  get busy(): number {
    return this.#slots.length - this.#free.length - this.#clearing;
  }
  get waiting(): number {
    return this.#waiters.length;
  }
  get reuseEnabled(): boolean {
    return this.#reuse;
  }

  stats(): SequenceReuseStats {
    return { ...this.#stats, kept: this.#free.filter((s) => s.tokens.length > 0).length };
  }

  /**
   * A sequence for this prompt: one whose state the prompt extends when there
   * is one, else an empty one. Rejects with the signal's reason if it aborts
   * while waiting for a free sequence.
   */
  async acquire(prompt: readonly Token[], signal?: AbortSignal): Promise<SequenceLease> {
    if (this.#disposed) throw new DisposedError("the sequence pool is disposed");
    if (signal?.aborted) throw abortReason(signal);
    const slot = this.#free.length > 0 ? this.#take(prompt) : await this.#wait(prompt, signal);
    const reusedTokens = extensionLength(slot.tokens, prompt);
    if (reusedTokens > 0) {
      this.#stats.hits++;
      this.#stats.savedTokens += reusedTokens;
      return { sequence: slot.sequence, reusedTokens };
    }
    if (this.#reuse) this.#stats.misses++;
    if (slot.tokens.length > 0) {
      this.#stats.evictions++;
      slot.tokens = [];
      try {
        await slot.sequence.clearHistory();
      } catch (err) {
        this.release(slot.sequence, undefined);
        throw err;
      }
    }
    return { sequence: slot.sequence, reusedTokens: 0 };
  }

  /**
   * Returns a sequence. `keep` = the tokens now in its state, to offer it to a
   * later prompt that extends them; undefined clears it (an aborted or failed
   * request, or reuse disabled).
   */
  release(sequence: LlamaContextSequence, keep: readonly Token[] | undefined): void {
    const slot = this.#bySequence.get(sequence);
    if (!slot || this.#free.includes(slot)) return;
    slot.lastUsed = ++this.#clock;
    if (this.#reuse && keep !== undefined && keep.length > 0 && !this.#disposed) {
      slot.tokens = [...keep];
      this.#handOver(slot);
      return;
    }
    slot.tokens = [];
    this.#clearing++;
    sequence.clearHistory().then(
      () => {
        this.#clearing--;
        this.#handOver(slot);
      },
      // A sequence that can not be cleared is not handed out again.
      () => {
        this.#clearing--;
      },
    );
  }

  /** Rejects all waiters; the sequences belong to the context, disposed by its owner. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const waiter of this.#waiters.splice(0)) {
      if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
      waiter.reject(new DisposedError("the sequence pool was disposed while waiting"));
    }
  }

  #handOver(slot: Slot): void {
    this.#free.push(slot);
    if (this.#disposed) return;
    const waiter = this.#waiters.shift();
    if (!waiter) return;
    if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
    waiter.resolve(this.#take(waiter.prompt));
  }

  /** Removes and returns the best free slot for the prompt; there must be one. */
  #take(prompt: readonly Token[]): Slot {
    let best: Slot | undefined;
    let bestLength = 0;
    if (this.#reuse) {
      for (const slot of this.#free) {
        const n = extensionLength(slot.tokens, prompt);
        if (n > bestLength) {
          best = slot;
          bestLength = n;
        }
      }
    }
    // No extension: an empty sequence, else the least recently used kept one. Which ids the
    // sequences in flight have does not matter: they share one KV buffer (the node-llama-cpp
    // patch), so llama.cpp decodes any set of them as one micro-batch.
    best ??=
      this.#free.find((s) => s.tokens.length === 0) ??
      this.#free.reduce((a, b) => (b.lastUsed < a.lastUsed ? b : a));
    this.#free.splice(this.#free.indexOf(best), 1);
    return best;
  }

  #wait(prompt: readonly Token[], signal: AbortSignal | undefined): Promise<Slot> {
    return new Promise<Slot>((resolve, reject) => {
      const waiter: Waiter = { prompt, resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.#waiters.indexOf(waiter);
          if (i >= 0) this.#waiters.splice(i, 1);
          reject(abortReason(signal));
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
    });
  }
}
