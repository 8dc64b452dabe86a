import type { IncomingMessage, ServerResponse } from "node:http";
import {
  BODY_TOO_LARGE,
  errorBody,
  httpStatusFor,
  retryAfterOf,
  toPublicError,
  trpcCodeOf,
} from "@sluice/api";
import { InvalidInputError, type SluiceError } from "@sluice/core";
import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";

/**
 * Reads a JSON body of at most `limit` bytes. A declared or actual size over
 * the limit is INVALID_INPUT marked BODY_TOO_LARGE (413); malformed JSON or
 * UTF-8 is INVALID_INPUT (400).
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers["content-length"] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks);
  if (raw.length === 0)
    throw new InvalidInputError("the request body is empty; send JSON", { details: { field: "body" } });
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    throw new InvalidInputError("the request body is not valid UTF-8", { details: { field: "body" } });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(`the request body is not valid JSON: ${(err as Error).message}`, {
      details: { field: "body" },
    });
  }
}

function tooLarge(limit: number): InvalidInputError {
  return new InvalidInputError(`the request body exceeds ${limit} bytes`, {
    details: { field: "body", reason: BODY_TOO_LARGE, limitBytes: limit },
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Writes the error body with its mapped status, Retry-After when known. Returns the error as sent. */
export function sendError(res: ServerResponse, error: unknown, requestId: string): SluiceError {
  const sluice = toPublicError(error);
  const status = httpStatusFor(sluice);
  const retryAfter = retryAfterOf(sluice);
  sendJson(
    res,
    status,
    errorBody(sluice, requestId),
    retryAfter !== undefined ? { "retry-after": String(retryAfter) } : {},
  );
  return sluice;
}

/**
 * An error refused before tRPC ran (auth, limits, body size), in the shape
 * tRPC clients parse, so they see the same `data.sluiceCode` as from a procedure.
 */
export function sendTrpcError(res: ServerResponse, error: unknown, requestId: string): SluiceError {
  const sluice = toPublicError(error);
  const status = httpStatusFor(sluice);
  const retryAfter = retryAfterOf(sluice);
  const code = trpcCodeOf(sluice.code);
  const field = sluice.details.field;
  sendJson(
    res,
    status,
    {
      error: {
        message: sluice.message,
        code: TRPC_ERROR_CODES_BY_KEY[code],
        data: {
          code,
          httpStatus: status,
          sluiceCode: sluice.code,
          field: typeof field === "string" ? field : null,
          retryAfterSeconds: retryAfter ?? null,
          requestId,
        },
      },
    },
    retryAfter !== undefined ? { "retry-after": String(retryAfter) } : {},
  );
  return sluice;
}

/** Starts a server-sent-events response. */
export function startSse(res: ServerResponse): void {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  res.flushHeaders();
}

/** Writes one SSE `data:` event; resolves when the socket accepted it (backpressure). */
export function writeSse(res: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed || res.writableEnded) return resolve();
    if (res.write(`data: ${data}\n\n`)) resolve();
    else {
      const done = (): void => {
        res.off("drain", done);
        res.off("close", done);
        resolve();
      };
      res.once("drain", done);
      res.once("close", done);
    }
  });
}
