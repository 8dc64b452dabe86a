import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type ApiDeps,
  type AppRouter,
  appRouter,
  BODY_TOO_LARGE,
  type CascadeView,
  createContextFactory,
  DEFAULT_RETRY_AFTER_SECONDS,
  httpStatusFor,
  type Principal,
  procedureAccess,
  retryAfterOf,
  sluiceErrorOf,
  toPublicError,
} from "@sluice/api";
import {
  AbortedError,
  DisposedError,
  ForbiddenError,
  InvalidInputError,
  RateLimitedError,
  UnauthorizedError,
} from "@sluice/core";
import type { Sluice } from "@sluice/sdk";
import { requestIdFrom, runWithRequestContext, type Telemetry } from "@sluice/telemetry";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import type { ApiKeyStore } from "../auth/ApiKeyStore.ts";
import { AuthFailureAudit } from "../auth/AuthFailureAudit.ts";
import type { FailedAuthLimiter } from "../auth/FailedAuthLimiter.ts";

/** The part of {@link FailedAuthLimiter} the server uses (the start-up code may switch it off on reload). */
export type FailedAuthGate = Pick<FailedAuthLimiter, "blockedFor" | "fail">;

import type { RateLimiter } from "../auth/RateLimiter.ts";
import { sendError, sendJson, sendTrpcError } from "./io.ts";
import { handleV1, isV1Route } from "./openaiRoutes.ts";
import { handleCors, setSecurityHeaders } from "./security.ts";

/** The span `withSpan` hands its callback. */
type Span = Parameters<Parameters<Telemetry["withSpan"]>[1]>[0];

/** Options of {@link SluiceHttpServer}. */
export interface SluiceHttpServerOptions {
  sluice: Sluice;
  keys: ApiKeyStore;
  /** Per-key token bucket. Defaults to none (no rate limit). */
  rateLimiter?: RateLimiter;
  /** Largest request body. Defaults to `2097152` bytes. */
  bodyLimitBytes?: number;
  /** Origins CORS allows (the playground's). Defaults to none. */
  corsOrigins?: readonly string[];
  cascade?: CascadeView;
  /** Recent metrics snapshots for `system.metricsHistory`. Defaults to none (an empty history). */
  metricsHistory?: ApiDeps["metricsHistory"];
  /** Path of the Prometheus endpoint; `null` turns it off. Defaults to `"/metrics"`. */
  metricsPath?: string | null;
  /** Bucket of 401/403 answers per client address. Defaults to none (no limit). */
  failedAuth?: FailedAuthGate;
  /** Authentication failures audited one by one per address and minute, the rest summarised. Defaults to `20`. */
  authFailuresPerMinute?: number;
}

/** Marks a 429 given by the failed-auth limit (audited as a throttled failure, not spent again). */
const FAILED_AUTH_THROTTLE = "failed_auth_throttle";

/** Who calls when no API keys are configured (the server is then loopback-only). */
const LOCAL: Principal = { id: "local", scopes: ["infer", "admin"] };

/**
 * The HTTP host: `/trpc`, the OpenAI-compatible `/v1` routes, `/metrics`,
 * `/healthz`, `/readyz`. Auth, rate limits, CORS, security headers, body
 * limit and correlation ids are applied here; everything else is the api
 * package's and the SDK's.
 */
export class SluiceHttpServer {
  readonly #o: SluiceHttpServerOptions;
  readonly #server: Server;
  readonly #trpc: ReturnType<typeof createHTTPHandler<AppRouter>>;
  readonly #principals = new WeakMap<IncomingMessage, { principal: Principal | null; requestId: string }>();
  readonly #cors: ReadonlySet<string>;
  readonly #active = new Set<ServerResponse>();
  readonly #bodyLimit: number;
  readonly #authAudit: AuthFailureAudit | undefined;
  #idle: (() => void) | undefined;
  #draining = false;
  #shutdown: Promise<void> | undefined;

  constructor(options: SluiceHttpServerOptions) {
    this.#o = options;
    this.#bodyLimit = options.bodyLimitBytes ?? 2 * 1024 * 1024;
    this.#cors = new Set(options.corsOrigins ?? []);
    const audit = options.sluice.telemetry.audit;
    this.#authAudit = audit
      ? new AuthFailureAudit({
          append: (event) => audit.append(event),
          perAddressPerWindow: options.authFailuresPerMinute ?? 20,
        })
      : undefined;
    const contextFor = createContextFactory({
      sluice: options.sluice,
      ...(options.cascade ? { cascade: options.cascade } : {}),
      ...(options.metricsHistory ? { metricsHistory: options.metricsHistory } : {}),
    });
    this.#trpc = createHTTPHandler({
      router: appRouter,
      basePath: "/trpc/",
      maxBodySize: this.#bodyLimit,
      createContext: ({ req }) => {
        const info = this.#principals.get(req);
        return contextFor({ principal: info?.principal ?? null, requestId: info?.requestId ?? "unknown" });
      },
      responseMeta: ({ ctx, errors }) => {
        const headers: Record<string, string> = ctx ? { "x-request-id": ctx.requestId } : {};
        // The same Retry-After the REST routes send, for a tRPC call answered 429 or 503.
        const first = errors[0] && sluiceErrorOf(errors[0]);
        const retryAfter = first ? retryAfterOf(first) : undefined;
        if (retryAfter !== undefined) headers["retry-after"] = String(retryAfter);
        return { headers };
      },
    });
    this.#server = createServer({ keepAliveTimeout: 5000, requestTimeout: 0 }, (req, res) => {
      void this.#handle(req, res);
    });
  }

  get sluice(): Sluice {
    return this.#o.sluice;
  }

  /** True after shutdown() began: /readyz says 503 and new requests are refused. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Requests being served now. */
  get activeRequests(): number {
    return this.#active.size;
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, host, () => {
        this.#server.off("error", reject);
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  /**
   * Graceful stop: readiness turns 503 and new requests get 503 at once,
   * in-flight requests get until the deadline to finish, then the SDK closes
   * and the listener shuts. Idempotent.
   */
  shutdown(deadlineMs = 30_000): Promise<void> {
    this.#shutdown ??= (async () => {
      this.#draining = true;
      const started = Date.now();
      if (this.#active.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => {
            this.#idle = resolve;
          }),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, deadlineMs);
          }),
        ]);
        clearTimeout(timer);
      }
      const left = Math.max(0, deadlineMs - (Date.now() - started));
      await this.#authAudit?.close();
      await this.#o.sluice.close({ deadlineMs: left });
      await this.#o.rateLimiter?.close();
      await new Promise<void>((resolve) => {
        this.#server.close(() => resolve());
        this.#server.closeAllConnections();
      });
    })();
    return this.#shutdown;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = Date.now();
    const requestId = requestIdFrom(req.headers["x-request-id"]);
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    res.setHeader("x-request-id", requestId);
    setSecurityHeaders(res);
    if (handleCors(req, res, this.#cors)) return;
    const context: { requestId: string; principal?: string } = { requestId };
    this.#track(res);
    const telemetry = this.#o.sluice.telemetry;
    await runWithRequestContext(context, () =>
      telemetry.withSpan("request", (span) => this.#route(req, res, path, context, startedAt, span), {
        "http.method": req.method ?? "GET",
        "http.route": path,
        "sluice.request_id": requestId,
      }),
    );
  }

  async #route(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    context: { requestId: string; principal?: string },
    startedAt: number,
    span: Span,
  ): Promise<void> {
    const requestId = context.requestId;
    const log = this.#o.sluice.telemetry.logger;
    const address = req.socket.remoteAddress ?? "unknown";
    let status = 0;
    try {
      if (path === "/healthz") return sendJson(res, 200, { status: "ok" });
      if (path === "/readyz") return this.#readyz(res);
      if (this.#draining) {
        res.setHeader("connection", "close");
        throw new DisposedError("the server is shutting down", { details: { retryAfterSeconds: 1 } });
      }
      if (path === (this.#o.metricsPath === undefined ? "/metrics" : this.#o.metricsPath)) {
        const m = await this.#o.sluice.metrics();
        res.writeHead(200, { "content-type": m.contentType });
        return void res.end(m.body);
      }
      if (path.startsWith("/trpc/")) {
        this.#checkFailedAuth(address);
        rejectOversized(req, this.#bodyLimit);
        const principal = await this.#authorize(req, false);
        if (principal) context.principal = principal.id;
        checkProcedureAccess(path.slice("/trpc/".length), principal);
        this.#principals.set(req, { principal, requestId });
        return await this.#trpc(req, res);
      }
      if (isV1Route(path)) {
        this.#checkFailedAuth(address);
        const principal = await this.#authorize(req, true);
        context.principal = principal?.id;
        if (!principal?.scopes.includes("infer"))
          throw new ForbiddenError("this API key lacks the infer scope");
        const controller = new AbortController();
        res.on("close", () => {
          if (!res.writableFinished) controller.abort(new AbortedError("the client closed the connection"));
        });
        return await handleV1(req, res, path, {
          sluice: this.#o.sluice,
          bodyLimitBytes: this.#bodyLimit,
          caller: principal.id,
          signal: controller.signal,
          startedAt,
          requestId,
        });
      }
      sendJson(res, 404, {
        error: {
          code: "NOT_FOUND",
          message: `no route ${quote(path)}`,
          type: "invalid_request_error",
          param: null,
          requestId,
        },
      });
    } catch (err) {
      const error = toPublicError(err);
      if (error.details.reason === BODY_TOO_LARGE && !res.headersSent) {
        // The rest of an oversized body is never read; closing keeps it from poisoning keep-alive.
        res.setHeader("connection", "close");
        req.resume();
      }
      if (path.startsWith("/trpc/")) sendTrpcError(res, error, requestId);
      else sendError(res, error, requestId);
      status = httpStatusFor(error);
      // Server-side failures are logged with their cause; client errors are only counted.
      if (status >= 500 && error.code !== "DISPOSED") {
        const cause = error.cause instanceof Error ? error.cause.message : String(error.cause ?? "");
        log.error({ error: error.toJSON(), cause }, "request failed");
      }
      const throttled = error.code === "RATE_LIMITED" && error.details.reason === FAILED_AUTH_THROTTLE;
      if (error.code === "UNAUTHORIZED" || error.code === "FORBIDDEN" || throttled) {
        if (!throttled) this.#o.failedAuth?.fail(address);
        this.#authAudit?.record({
          address,
          code: error.code,
          ...(context.principal ? { actor: context.principal } : {}),
          path: quote(path),
          requestId,
        });
      }
    } finally {
      if (path !== "/healthz" && path !== "/readyz" && path !== "/metrics") {
        res.once("close", () =>
          log.info(
            {
              method: req.method,
              path: quote(path),
              status: status || res.statusCode,
              durationMs: Date.now() - startedAt,
            },
            "request",
          ),
        );
      }
      span.setAttribute("http.status_code", status || res.statusCode);
    }
  }

  /** Refuses an address whose failed-auth bucket is spent, before its key is looked at. */
  #checkFailedAuth(address: string): void {
    const seconds = this.#o.failedAuth?.blockedFor(address) ?? 0;
    if (seconds > 0)
      throw new RateLimitedError("too many failed authentications from this address", {
        details: { retryAfterSeconds: seconds, reason: FAILED_AUTH_THROTTLE },
      });
  }

  /** Principal of the request; `required` makes a missing key UNAUTHORIZED. Applies the rate limit. */
  async #authorize(req: IncomingMessage, required: boolean): Promise<Principal | null> {
    const keys = this.#o.keys;
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const principal = keys.enabled ? keys.authenticate(header("authorization"), header("x-api-key")) : LOCAL;
    if (principal === null) {
      if (required) throw new UnauthorizedError("an API key is required (Authorization: Bearer <key>)");
      return null;
    }
    const limiter = this.#o.rateLimiter;
    if (limiter) {
      // Without keys every caller is the local principal: the bucket is per client address, never one shared by all.
      const bucket = principal === LOCAL ? `addr:${req.socket.remoteAddress ?? "unknown"}` : principal.id;
      const decision = await limiter.take(bucket);
      if (!decision.allowed)
        throw new RateLimitedError(
          `${principal === LOCAL ? "client" : `API key ${principal.id}`} is over its rate limit`,
          {
            details: { retryAfterSeconds: decision.retryAfterSeconds },
          },
        );
    }
    return principal;
  }

  #readyz(res: ServerResponse): void {
    const health = this.#o.sluice.health();
    const ready = health.ready && !this.#draining;
    sendJson(
      res,
      ready ? 200 : 503,
      { ready, draining: this.#draining, models: health.models },
      ready ? {} : { "retry-after": String(DEFAULT_RETRY_AFTER_SECONDS) },
    );
  }

  #track(res: ServerResponse): void {
    this.#active.add(res);
    res.once("close", () => {
      this.#active.delete(res);
      if (this.#active.size === 0) this.#idle?.();
    });
  }
}

/** A request path as error messages and logs may quote it: bounded, so hostile input is never echoed whole. */
function quote(path: string): string {
  return path.length <= 200 ? path : `${path.slice(0, 200)}…[${path.length} chars]`;
}

/** A declared body over the limit is refused before tRPC reads it (413, not tRPC's 400). */
function rejectOversized(req: IncomingMessage, limit: number): void {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit)
    throw new InvalidInputError(`the request body is larger than ${limit} bytes`, {
      details: { field: "body", reason: BODY_TOO_LARGE, limitBytes: limit },
    });
}

/**
 * Scope check of every procedure a tRPC URL names (`a.b,c.d` for a batch),
 * before tRPC runs: a subscription's stream would otherwise start with
 * HTTP 200 and carry the 401/403 as an event.
 */
function checkProcedureAccess(procedures: string, principal: Principal | null): void {
  for (const name of procedures.split(",")) {
    const scope = procedureAccess(name)?.scope;
    if (!scope) continue;
    if (principal === null)
      throw new UnauthorizedError("an API key is required (Authorization: Bearer <key>)");
    if (!principal.scopes.includes(scope))
      throw new ForbiddenError(`this API key lacks the ${scope} scope`, { details: { scope } });
  }
}
