import type { NextConfig } from "next";

const config: NextConfig = {
  reactStrictMode: true,
  // A self-contained server (.next/standalone) with only the files it needs:
  // what `pnpm start` and the image run. scripts/standalone.mjs adds the static assets.
  output: "standalone",
  poweredByHeader: false,
  // The dev-mode badge covers form fields on narrow screens (`pnpm dev` runs `next dev`).
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
