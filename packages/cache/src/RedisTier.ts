import { createClient, RESP_TYPES, TimeoutError } from "redis";
import type { CacheEvents, MissReason } from "./CacheEvents.ts";
import type { EncryptionKey, KeyRing } from "./KeyRing.ts";

/** Options of the shared tier. */
export interface RedisTierOptions {
  /** `redis://` or `rediss://` URL. */
  url: string;
  /** Longest a command may take before Redis is bypassed for this request. Defaults to `100`. */
  timeoutMs?: number;
  /** Entry lifetime in Redis. Defaults to the cache's `ttlMs`, or one day when that is `0`. */
  ttlMs?: number;
  /** Prefix of every key, so several deployments can share one Redis. Defaults to `"sluice:cache:"`. */
  keyPrefix?: string;
  /** After a failure or timeout, how long requests skip Redis before trying it again. Defaults to `1000`. */
  cooldownMs?: number;
  /** Longest wait between reconnection attempts. Defaults to `2000`. */
  reconnectMaxDelayMs?: number;
  /** AES-256-GCM keys. Defaults to the persistent tier's keys. */
  keys?: readonly EncryptionKey[];
  /** Id of the key new entries are sealed with. Defaults to the persistent tier's `activeKeyId`. */
  activeKeyId?: string;
}

/** Counters of the Redis tier. */
export interface RedisTierStats {
  hits: number;
  misses: number;
  /** Misses on entries that existed but could not be read: tampered, wrong or unknown key. */
  unreadable: number;
  /** Requests served without Redis because it was down, slow or cooling down. */
  bypasses: number;
  timeouts: number;
  errors: number;
  connected: boolean;
}

const DAY_MS = 86_400_000;

function buildClient(url: string, timeoutMs: number, reconnectMaxDelayMs: number) {
  return createClient({
    url,
    // Queuing commands while disconnected would make requests wait for a reconnect; failing fast lets them bypass.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: Math.max(timeoutMs * 10, 1000),
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), reconnectMaxDelayMs),
    },
  }).withCommandOptions({ timeout: timeoutMs, typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } });
}

/**
 * Encrypted entries in a Redis shared by several replicas. Redis being down or
 * slow never fails a request: the command times out quickly, the request
 * carries on as a miss, a counter records the bypass, and further requests skip
 * Redis for a short cool-down while the client reconnects in the background.
 */
export class RedisTier {
  readonly #client: ReturnType<typeof buildClient>;
  readonly #keyRing: KeyRing;
  readonly #events: CacheEvents;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #cooldownMs: number;
  readonly #timeoutMs: number;
  #coolUntil = 0;
  /** Last state announced, so each change is reported once; readiness itself is read from the client. */
  #state: "ready" | "down" = "down";
  #closing: Promise<void> | undefined;
  readonly #counters = { hits: 0, misses: 0, unreadable: 0, bypasses: 0, timeouts: 0, errors: 0 };

  constructor(
    options: Required<Omit<RedisTierOptions, "keys" | "activeKeyId">>,
    keyRing: KeyRing,
    events: CacheEvents,
  ) {
    this.#keyRing = keyRing;
    this.#events = events;
    this.#prefix = options.keyPrefix;
    this.#ttlMs = options.ttlMs;
    this.#cooldownMs = options.cooldownMs;
    this.#timeoutMs = options.timeoutMs;
    this.#client = buildClient(options.url, options.timeoutMs, options.reconnectMaxDelayMs);
    // The base client emits connection events; the command-options proxy forwards them.
    this.#client.on("ready", () => {
      this.#coolUntil = 0;
      this.#announce("ready");
    });
    this.#client.on("error", (error: unknown) => {
      this.#counters.errors++;
      this.#events.emit("error", { tier: "redis", op: "connection", error });
      if (!this.#client.isReady) this.#announce("down");
    });
    this.#client.on("reconnecting", () => this.#announce("down"));
    this.#client.on("end", () => this.#announce("down"));
    // connect() keeps retrying through reconnectStrategy; until it succeeds, requests bypass Redis.
    this.#client.connect().catch(() => {});
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    if (this.#closing !== undefined) return this.#miss(key, "closed");
    if (this.#skip()) return this.#miss(key, "bypass");
    let reply: unknown;
    try {
      reply = await this.#bounded(this.#client.get(this.#prefix + key));
    } catch (error) {
      this.#failure("get", error);
      return this.#miss(key, "bypass");
    }
    if (reply === null || reply === undefined) return this.#miss(key, "absent");
    const opened = Buffer.isBuffer(reply) ? this.#open(key, reply) : "corrupt";
    if (typeof opened === "string") {
      this.#counters.unreadable++;
      return this.#miss(key, opened);
    }
    this.#counters.hits++;
    this.#events.emit("hit", { tier: "redis", key });
    return opened;
  }

  /** Encrypts and stores with a TTL; a failure is counted, never thrown. */
  async set(key: string, value: Uint8Array, ttlMs: number = this.#ttlMs): Promise<void> {
    if (this.#closing !== undefined || this.#skip()) return;
    const { keyId, sealed } = this.#keyRing.seal(value, key);
    const id = Buffer.from(keyId, "utf8");
    const blob = Buffer.concat([Buffer.of(id.byteLength), id, sealed]);
    try {
      await this.#bounded(this.#client.set(this.#prefix + key, blob, { PX: ttlMs > 0 ? ttlMs : DAY_MS }));
    } catch (error) {
      this.#failure("set", error);
    }
  }

  async delete(key: string): Promise<void> {
    if (this.#closing !== undefined || this.#skip()) return;
    try {
      await this.#bounded(this.#client.del(this.#prefix + key));
    } catch (error) {
      this.#failure("delete", error);
    }
  }

  stats(): RedisTierStats {
    return { ...this.#counters, connected: this.#client.isReady };
  }

  /** Closes the connection, waiting at most briefly for commands in flight. Safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#client.isReady) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          this.#client.close().catch(() => {}),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, 1000);
          }),
        ]);
        clearTimeout(timer);
      }
      if (this.#client.isOpen) this.#client.destroy();
    })();
    return this.#closing;
  }

  /**
   * node-redis times a command out only while it waits to be written; once on
   * the wire, a hung server would hold it forever. This bounds the whole round
   * trip. A late reply is still consumed in order by the client, so the
   * connection stays in sync.
   */
  #bounded<T>(command: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new TimeoutError()), this.#timeoutMs);
    });
    command.catch(() => {});
    return Promise.race([command, timeout]).finally(() => clearTimeout(timer));
  }

  #open(key: string, blob: Buffer): Uint8Array | MissReason {
    const idLength = blob[0];
    if (idLength === undefined || blob.byteLength < 1 + idLength) return "corrupt";
    const keyId = blob.subarray(1, 1 + idLength).toString("utf8");
    return this.#keyRing.open(keyId, blob.subarray(1 + idLength), key);
  }

  /** Whether this request should skip Redis; counts and reports the bypass. */
  #skip(): boolean {
    let reason: "down" | "cooldown" | undefined;
    if (!this.#client.isReady) reason = "down";
    else if (Date.now() < this.#coolUntil) reason = "cooldown";
    if (reason === undefined) return false;
    this.#counters.bypasses++;
    this.#events.emit("bypass", { tier: "redis", reason });
    return true;
  }

  #failure(op: string, error: unknown): void {
    if (error instanceof TimeoutError) {
      this.#counters.timeouts++;
      this.#events.emit("bypass", { tier: "redis", reason: "timeout" });
    } else {
      this.#counters.errors++;
      this.#events.emit("error", { tier: "redis", op, error });
    }
    this.#counters.bypasses++;
    this.#coolUntil = Date.now() + this.#cooldownMs;
  }

  #announce(state: "ready" | "down"): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#events.emit("connection", { tier: "redis", state });
  }

  #miss(key: string, reason: MissReason): undefined {
    this.#counters.misses++;
    this.#events.emit("miss", { tier: "redis", key, reason });
    return undefined;
  }
}
