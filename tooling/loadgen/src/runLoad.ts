/** One request of the load: where it goes and what it sends. */
export interface LoadRequest {
  /** Path under the base URL, e.g. `/v1/chat/completions`. */
  path: string;
  /** Defaults to `"POST"` with a body, `"GET"` without. */
  method?: string;
  /** JSON body; a body with `stream: true` is read as server-sent events. */
  body?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** How one request ended. */
export interface LoadResult {
  client: number;
  index: number;
  /** HTTP status, or 0 when no response arrived. */
  status: number;
  /** True for a 2xx whose stream (if any) ended with `[DONE]` and no error event. */
  ok: boolean;
  /**
   * Why it failed: the error body's `code` (`RATE_LIMITED`, `DISPOSED`…), `STREAM:<code>` for an error
   * event inside a stream, `TRUNCATED` for a stream cut before `[DONE]`, `NETWORK` when no response came.
   */
  code?: string;
  /** For `NETWORK` and `TRUNCATED`: the transport's error code or message (`ECONNRESET`, `UND_ERR_SOCKET`…). */
  detail?: string;
  /** The `Retry-After` header of the response, when present. */
  retryAfter?: string;
  /** The `x-sluice-replica` header (set by the reference load balancer), when present. */
  replica?: string;
  /** Stream chunks received (streams only). */
  chunks: number;
  /** Milliseconds since the load started. */
  startedMs: number;
  endedMs: number;
}

/** A bounded load: it stops by itself after `seconds` or `maxRequests`, whichever comes first. */
export interface LoadOptions {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Concurrent clients, each sending one request after another. */
  clients: number;
  /** No request starts after this many seconds. */
  seconds: number;
  /** No request starts after this many have started (all clients together). Defaults to no limit. */
  maxRequests?: number;
  /** The request client `client` sends as its `index`-th. */
  request: (client: number, index: number) => LoadRequest;
  /** Called as each request ends (for live observation). */
  onResult?: (result: LoadResult) => void;
  /** Called once a stream's response headers arrived (it is in flight from then on). */
  onStreamStart?: (info: { client: number; index: number; replica: string | undefined }) => void;
  /** Stops starting new requests; requests in flight finish. */
  signal?: AbortSignal;
}

/**
 * Runs the load and resolves with every request's result when the last one
 * ended. Bounded in count and time by construction; never throws for a failed
 * request (failures are results).
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult[]> {
  if (!(options.clients >= 1)) throw new RangeError(`clients must be at least 1, got ${options.clients}`);
  if (!(options.seconds > 0)) throw new RangeError(`seconds must be positive, got ${options.seconds}`);
  const t0 = performance.now();
  const until = t0 + options.seconds * 1000;
  const max = options.maxRequests ?? Number.POSITIVE_INFINITY;
  let started = 0;
  const results: LoadResult[] = [];
  const keepGoing = () => performance.now() < until && started < max && !options.signal?.aborted;
  const client = async (id: number): Promise<void> => {
    for (let index = 0; keepGoing(); index++) {
      started++;
      const result = await send(options, id, index, t0);
      results.push(result);
      options.onResult?.(result);
    }
  };
  await Promise.all(Array.from({ length: options.clients }, (_, id) => client(id)));
  return results;
}

async function send(options: LoadOptions, client: number, index: number, t0: number): Promise<LoadResult> {
  const req = options.request(client, index);
  const startedMs = performance.now() - t0;
  const base = { client, index, chunks: 0, startedMs };
  const end = (
    r: Omit<LoadResult, "client" | "index" | "startedMs" | "endedMs" | "chunks"> & { chunks?: number },
  ) => ({
    ...base,
    ...r,
    endedMs: performance.now() - t0,
  });
  let res: Response;
  try {
    res = await fetch(new URL(req.path, options.url), {
      method: req.method ?? (req.body ? "POST" : "GET"),
      headers: { ...(req.body ? { "content-type": "application/json" } : {}), ...req.headers },
      ...(req.body ? { body: JSON.stringify(req.body) } : {}),
    });
  } catch (err) {
    return end({ status: 0, ok: false, code: "NETWORK", detail: transportError(err) });
  }
  const replica = res.headers.get("x-sluice-replica") ?? undefined;
  const retryAfter = res.headers.get("retry-after") ?? undefined;
  const meta = { status: res.status, ...(replica ? { replica } : {}), ...(retryAfter ? { retryAfter } : {}) };
  const streaming = req.body?.stream === true && res.ok;
  if (!streaming) {
    const text = await res.text().catch(() => "");
    if (res.ok) return end({ ...meta, ok: true });
    return end({ ...meta, ok: false, code: errorCode(text) ?? `HTTP_${res.status}` });
  }
  options.onStreamStart?.({ client, index, replica });
  let chunks = 0;
  let done = false;
  let streamError: string | undefined;
  let broken: string | undefined;
  try {
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(part, { stream: true });
      let cut = buffered.indexOf("\n\n");
      while (cut >= 0) {
        const event = buffered.slice(0, cut);
        buffered = buffered.slice(cut + 2);
        cut = buffered.indexOf("\n\n");
        const data = event
          .split("\n")
          .filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).trim())
          .join("\n");
        if (data === "[DONE]") done = true;
        else if (data) {
          chunks++;
          const code = errorCode(data);
          if (code) streamError = code;
        }
      }
    }
  } catch (err) {
    // The connection broke mid-stream: reported below as TRUNCATED.
    broken = transportError(err);
  }
  if (streamError) return end({ ...meta, ok: false, code: `STREAM:${streamError}`, chunks });
  if (!done)
    return end({ ...meta, ok: false, code: "TRUNCATED", chunks, ...(broken ? { detail: broken } : {}) });
  return end({ ...meta, ok: true, chunks });
}

function errorCode(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown } };
    return typeof parsed.error?.code === "string" ? parsed.error.code : undefined;
  } catch {
    return undefined;
  }
}

function transportError(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === "string") return cause.code;
  if (typeof cause?.message === "string") return cause.message;
  return err instanceof Error ? err.message : String(err);
}
