import { Registry } from "prom-client";

/** A fresh registry per Sluice instance, so tests and embedded users never share global state. */
export function createRegistry(): Registry {
  return new Registry();
}
