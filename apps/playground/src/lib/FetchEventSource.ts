/**
 * A minimal EventSource over fetch, for tRPC's httpSubscriptionLink. The
 * browser's EventSource cannot send headers, and Sluice authenticates every
 * call by its `Authorization` header and correlates it by `x-request-id`. It
 * never reconnects by itself: tRPC decides whether to retry.
 */
export interface FetchEventSourceInit {
  headers?: Record<string, string>;
  withCredentials?: boolean;
}

export class FetchEventSource extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSED = 2;
  readonly url: string;
  readyState = 0;
  readonly #abort = new AbortController();

  constructor(url: string, init: FetchEventSourceInit = {}) {
    super();
    this.url = url;
    void this.#run(init);
  }

  close(): void {
    this.readyState = this.CLOSED;
    this.#abort.abort();
  }

  async #run(init: FetchEventSourceInit): Promise<void> {
    try {
      const res = await fetch(this.url, {
        headers: { accept: "text/event-stream", ...init.headers },
        signal: this.#abort.signal,
        cache: "no-store",
      });
      if (!res.ok || !res.body) {
        // A refusal before the stream started (auth, bad input): hand tRPC the
        // error shape so it surfaces with its code rather than as a lost connection.
        const body = await res.text().catch(() => "");
        const shape = errorShapeOf(body);
        if (shape) this.#emit("serialized-error", JSON.stringify(shape), "");
        await new Promise((resolve) => setTimeout(resolve, 0));
        return this.#fail();
      }
      this.readyState = this.OPEN;
      this.dispatchEvent(new Event("open"));
      await this.#read(res.body);
      // tRPC reads events through a stream that an `error` would cut off, dropping
      // a serialized error not yet read; one task later every event is consumed.
      await new Promise((resolve) => setTimeout(resolve, 0));
      this.#fail();
    } catch {
      this.#fail();
    }
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let type = "message";
    let data: string[] = [];
    let id = "";
    while (this.readyState !== this.CLOSED) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let newline = buffer.search(/\r?\n/);
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer[newline] === "\r" ? 2 : 1));
        newline = buffer.search(/\r?\n/);
        if (line === "") {
          if (data.length > 0) this.#emit(type, data.join("\n"), id);
          type = "message";
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const raw = colon < 0 ? "" : line.slice(colon + 1);
        const text = raw.startsWith(" ") ? raw.slice(1) : raw;
        if (field === "event") type = text;
        else if (field === "data") data.push(text);
        else if (field === "id") id = text;
      }
    }
  }

  #emit(type: string, data: string, lastEventId: string): void {
    if (this.readyState === this.CLOSED && type !== "serialized-error") return;
    this.dispatchEvent(new MessageEvent(type, { data, lastEventId }));
  }

  #fail(): void {
    if (this.readyState === this.CLOSED) return;
    this.readyState = this.CLOSED;
    this.dispatchEvent(new Event("error"));
  }
}

function errorShapeOf(body: string): unknown {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    return typeof parsed.error === "object" && parsed.error !== null ? parsed.error : undefined;
  } catch {
    return undefined;
  }
}
