// Next's ambient types (CSS and image imports). Next also writes next-env.d.ts
// on build, which is git-ignored: it points into .next/, which a fresh clone
// lacks when `pnpm typecheck` runs before any build.
/// <reference types="next" />
/// <reference types="next/image-types/global" />
