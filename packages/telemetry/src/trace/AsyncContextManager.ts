import { AsyncLocalStorage } from "node:async_hooks";
import { type Context, type ContextManager, context, ROOT_CONTEXT } from "@opentelemetry/api";

/**
 * Minimal AsyncLocalStorage context manager. Sluice installs it only when no
 * global context manager exists, so `withSpan` nesting and the logger's trace
 * ids work without registering a global tracer provider (which would tie every
 * Sluice instance in the process to the first one's exporter).
 */
export class AsyncContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#storage.run(ctx, () => fn.apply(thisArg, args));
  }

  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== "function") return target;
    const manager = this;
    const fn = target as unknown as (...args: unknown[]) => unknown;
    return function (this: unknown, ...args: unknown[]) {
      return manager.with(ctx, () => fn.apply(this, args));
    } as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.#storage.disable();
    return this;
  }
}

let installed = false;

/** Installs {@link AsyncContextManager} globally unless another context manager is registered. */
export function ensureContextManager(): void {
  if (installed) return;
  installed = true;
  const manager = new AsyncContextManager();
  // false means one is already registered (e.g. by the OpenTelemetry Node SDK): keep it.
  if (!context.setGlobalContextManager(manager)) manager.disable();
}
