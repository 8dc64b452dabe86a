import type { AuditEvent } from "@sluice/telemetry";

/** Options of {@link AuthFailureAudit}. */
export interface AuthFailureAuditOptions {
  /** Where entries go (the audit log's `append`). */
  append: (event: AuditEvent) => Promise<unknown>;
  /** Failures written one by one per address and window; `0` writes only summaries. Defaults to `20`. */
  perAddressPerWindow?: number;
  /** Length of a counting window. Defaults to `60000` ms. */
  windowMs?: number;
  /** Distinct addresses counted separately per window; the rest share one `*` counter. Defaults to `1000`. */
  maxAddresses?: number;
}

/** One failed or throttled request. */
export interface AuthFailure {
  address: string;
  /** `UNAUTHORIZED`, `FORBIDDEN`, or `RATE_LIMITED` when the failed-auth limit refused it unchecked. */
  code: string;
  /** Key id when a key was recognised (FORBIDDEN), else absent. */
  actor?: string;
  path: string;
  requestId: string;
}

interface Window {
  written: number;
  counts: Map<string, number>;
}

/**
 * Writes authentication failures to the audit log without letting a flood
 * write one line per request: the first failures of each address in a window
 * are written whole, the rest are counted and written as one
 * `auth.failure.summary` entry per address when the window ends. Disk growth
 * is then bounded by windows × addresses, not by requests.
 */
export class AuthFailureAudit {
  readonly #append: AuthFailureAuditOptions["append"];
  readonly #perAddress: number;
  readonly #maxAddresses: number;
  readonly #windows = new Map<string, Window>();
  readonly #timer: NodeJS.Timeout;
  #windowStart = new Date();

  constructor(options: AuthFailureAuditOptions) {
    this.#append = options.append;
    this.#perAddress = options.perAddressPerWindow ?? 20;
    this.#maxAddresses = options.maxAddresses ?? 1000;
    this.#timer = setInterval(() => void this.flush(), options.windowMs ?? 60_000);
    this.#timer.unref();
  }

  /** Records one failure: written now, or counted into the window's summary. */
  record(failure: AuthFailure): void {
    const known = this.#windows.has(failure.address) || this.#windows.size < this.#maxAddresses;
    const key = known ? failure.address : "*";
    const window = this.#windows.get(key) ?? { written: 0, counts: new Map() };
    this.#windows.set(key, window);
    if (key !== "*" && window.written < this.#perAddress) {
      window.written += 1;
      void this.#append({
        action: failure.code === "FORBIDDEN" ? "access.denied" : "auth.failure",
        actor: failure.actor ?? "anonymous",
        target: failure.path,
        outcome: failure.code === "RATE_LIMITED" ? "throttled" : "denied",
        details: { address: failure.address, code: failure.code },
        requestId: failure.requestId,
      }).catch(() => undefined);
      return;
    }
    window.counts.set(failure.code, (window.counts.get(failure.code) ?? 0) + 1);
  }

  /** Writes the summaries of the current window and starts a new one. */
  async flush(): Promise<void> {
    const windows = [...this.#windows];
    const from = this.#windowStart;
    this.#windows.clear();
    this.#windowStart = new Date();
    const writes: Promise<unknown>[] = [];
    for (const [address, window] of windows) {
      if (window.counts.size === 0) continue;
      const total = [...window.counts.values()].reduce((a, b) => a + b, 0);
      writes.push(
        this.#append({
          action: "auth.failure.summary",
          actor: "anonymous",
          outcome: "denied",
          details: {
            address,
            count: total,
            byCode: Object.fromEntries(window.counts),
            from: from.toISOString(),
            to: this.#windowStart.toISOString(),
          },
        }).catch(() => undefined),
      );
    }
    await Promise.all(writes);
  }

  /** Stops the window timer and writes the last summaries. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
