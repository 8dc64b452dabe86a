import type { IncomingMessage, ServerResponse } from "node:http";
import {
  chatCompletions,
  completions,
  embeddings,
  listModels,
  type OpenAiResult,
  retrieveModel,
} from "@sluice/api";
import { InvalidInputError } from "@sluice/core";
import type { Sluice } from "@sluice/sdk";
import { readJsonBody, sendJson, startSse, writeSse } from "./io.ts";

/** What one /v1 request needs besides the request itself. */
export interface V1Call {
  sluice: Sluice;
  bodyLimitBytes: number;
  caller: string;
  /** Aborts when the client goes away; the generation stops and frees its sequence. */
  signal: AbortSignal;
  startedAt: number;
  requestId: string;
}

const MODEL_PREFIX = "/v1/models/";

const POST_ROUTES = {
  "/v1/chat/completions": chatCompletions,
  "/v1/completions": completions,
} as const;

/** True when `path` is an OpenAI-compatible route this server answers. */
export function isV1Route(path: string): boolean {
  return (
    path in POST_ROUTES || path === "/v1/embeddings" || path === "/v1/models" || path.startsWith(MODEL_PREFIX)
  );
}

/** Serves one /v1 request; throws SluiceErrors for the caller to map. */
export async function handleV1(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  call: V1Call,
): Promise<void> {
  const options = { signal: call.signal, caller: call.caller };
  if (path === "/v1/models") {
    if (req.method !== "GET") return methodNotAllowed(res, "GET", call.requestId);
    return sendJson(res, 200, listModels(call.sluice, Math.floor(call.startedAt / 1000)));
  }
  if (path.startsWith(MODEL_PREFIX)) {
    if (req.method !== "GET") return methodNotAllowed(res, "GET", call.requestId);
    return sendJson(res, 200, retrieveModel(call.sluice, modelIdOf(path), Math.floor(call.startedAt / 1000)));
  }
  if (req.method !== "POST") return methodNotAllowed(res, "POST", call.requestId);
  const body = await readJsonBody(req, call.bodyLimitBytes);
  if (path === "/v1/embeddings") return sendJson(res, 200, await embeddings(call.sluice, body, options));
  const handler = POST_ROUTES[path as keyof typeof POST_ROUTES];
  await send(res, await handler(call.sluice, body, options));
}

async function send(res: ServerResponse, result: OpenAiResult<Record<string, unknown>>): Promise<void> {
  if (result.kind === "json") return sendJson(res, 200, result.body);
  startSse(res);
  try {
    for await (const chunk of result.chunks) {
      if (res.destroyed) break;
      await writeSse(res, JSON.stringify(chunk));
    }
    await writeSse(res, "[DONE]");
  } catch (err) {
    // Headers are gone; OpenAI clients read an `error` object inside the stream.
    const e = err as { code?: string; message?: string };
    await writeSse(
      res,
      JSON.stringify({ error: { code: e.code ?? "INFERENCE_FAILED", message: e.message ?? String(err) } }),
    );
    throw err;
  } finally {
    res.end();
  }
}

/** The model id of `/v1/models/{id}`; ids may hold `/` (e.g. `org/model`), sent raw or percent-encoded. */
function modelIdOf(path: string): string {
  try {
    return decodeURIComponent(path.slice(MODEL_PREFIX.length));
  } catch {
    throw new InvalidInputError("the model id in the path is not valid percent-encoding", {
      details: { field: "model" },
    });
  }
}

function methodNotAllowed(res: ServerResponse, allow: string, requestId: string): void {
  sendJson(
    res,
    405,
    {
      error: {
        code: "METHOD_NOT_ALLOWED",
        message: `use ${allow}`,
        type: "invalid_request_error",
        param: null,
        requestId,
      },
    },
    { allow },
  );
}
