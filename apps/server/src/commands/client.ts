import { readEnv } from "../env.ts";

/** Flags every client command (`ps`, `run`, `models ls`) takes. */
export interface ClientFlags {
  url?: string;
  apiKey?: string;
}

/** A running server, as the client commands reach it. */
export interface ServerClient {
  url: string;
  headers: Record<string, string>;
  /** GET a JSON body; throws {@link ServerUnreachable} when nothing answers, an Error with the server's message otherwise. */
  getJson<T>(path: string, timeoutMs?: number): Promise<T>;
  /** GET a text body (Prometheus metrics). */
  getText(path: string, timeoutMs?: number): Promise<string>;
}

/** Nothing listens at the URL (or it timed out). */
export class ServerUnreachable extends Error {
  override readonly name = "ServerUnreachable";
}

/** `--url`, else `SLUICE_URL`, else the local server's port; `--api-key`, else `SLUICE_API_KEY`. */
export function serverClient(flags: ClientFlags): ServerClient {
  const env = readEnv();
  const url = (flags.url ?? env.SLUICE_URL ?? `http://127.0.0.1:${env.SLUICE_PORT ?? 8080}`).replace(
    /\/+$/,
    "",
  );
  const key = flags.apiKey ?? env.SLUICE_API_KEY;
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  const get = async (path: string, timeoutMs: number): Promise<Response> => {
    let res: Response;
    try {
      res = await fetch(`${url}${path}`, { headers, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new ServerUnreachable(`no Sluice server answers at ${url} (${(error as Error).message})`);
    }
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
      throw new Error(`${body.error?.code ?? res.status}: ${body.error?.message ?? res.statusText}`);
    }
    return res;
  };
  return {
    url,
    headers,
    getJson: async <T>(path: string, timeoutMs = 5000) => (await (await get(path, timeoutMs)).json()) as T,
    getText: async (path: string, timeoutMs = 5000) => (await get(path, timeoutMs)).text(),
  };
}

/** A model as `/v1/models` lists it, with Sluice's extension. */
export interface ServedModel {
  id: string;
  sluice?: {
    role?: string;
    state?: string;
    default?: boolean;
    synthetic?: boolean;
    contextSize?: number;
    sequences?: number;
    busySequences?: number;
    queued?: number;
  };
}

/** Lines of a table with columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    `${cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd()}\n`;
  return [line(header), ...rows.map(line)].join("");
}
