import type { ShownError } from "../lib/errors.ts";

/** An error as the server reported it: stable code, message and correlation id. */
export function ErrorNote({ error, title = "Request failed" }: { error: ShownError; title?: string }) {
  return (
    <div className="error-note" role="alert" data-testid="error">
      <p>
        <strong>{error.unreachable ? "Server unreachable" : title}</strong>{" "}
        <code data-testid="error-code">{error.code}</code>
        {error.httpStatus ? <span className="muted"> HTTP {error.httpStatus}</span> : null}
      </p>
      <p className="error-message">{error.message}</p>
      {error.requestId ? (
        <p className="muted">
          Correlation id <code data-testid="error-request-id">{error.requestId}</code>
        </p>
      ) : null}
    </div>
  );
}
