import { TRPCClientError } from "@trpc/client";

/** What the page shows about a failed call. */
export interface ShownError {
  /** Sluice's stable code (`MODEL_NOT_FOUND`), else tRPC's, else `UNREACHABLE`. */
  code: string;
  message: string;
  requestId: string | null;
  httpStatus: number | null;
  /** The server could not be reached at all. */
  unreachable: boolean;
}

interface ErrorData {
  sluiceCode?: string | null;
  code?: string;
  httpStatus?: number;
  requestId?: string | null;
}

/** Reads the code, message and correlation id the server's error formatter puts on every error. */
export function describeError(error: unknown, fallbackRequestId: string | null = null): ShownError {
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? error.shape?.data ?? null) as ErrorData | null;
    if (data) {
      return {
        code: data.sluiceCode ?? data.code ?? "ERROR",
        message: error.message,
        requestId: data.requestId ?? fallbackRequestId,
        httpStatus: data.httpStatus ?? null,
        unreachable: false,
      };
    }
    return unreachable(error.message, fallbackRequestId);
  }
  return unreachable(error instanceof Error ? error.message : String(error), fallbackRequestId);
}

function unreachable(message: string, requestId: string | null): ShownError {
  return {
    code: "UNREACHABLE",
    message: message && message !== "Unknown error" ? message : "the server did not answer",
    requestId,
    httpStatus: null,
    unreachable: true,
  };
}
