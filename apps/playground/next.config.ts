import type { NextConfig } from "next";

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The dev-mode badge covers form fields on narrow screens; `pnpm start` runs `next dev`.
  devIndicators: false,
  // The API package is TypeScript source; the playground imports only its types,
  // but listing it keeps Next from refusing the workspace link if a value slips in.
  transpilePackages: ["@sluice/api"],
  // `pnpm typecheck` checks the playground with the workspace's types; the build
  // does not repeat that work on CI's two cores.
  typescript: { ignoreBuildErrors: true },
  turbopack: { root: new URL("../..", import.meta.url).pathname },
  outputFileTracingRoot: new URL("../..", import.meta.url).pathname,
};

export default config;
