import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { ApiKeyForm } from "../components/ApiKeyForm.tsx";
import { Nav } from "../components/Nav.tsx";
import { Providers } from "../components/Providers.tsx";
import { StatusBanner } from "../components/StatusBanner.tsx";
import { readEnv } from "../env.ts";
import "./globals.css";

// Rendered per request so the API address comes from the environment of
// `next start`, not from the build.
export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: "Sluice playground",
  description: "Try Sluice's models, embeddings, cascade and metrics.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  const env = readEnv();
  return (
    <html lang="en">
      <body>
        <Providers apiUrl={env.NEXT_PUBLIC_SLUICE_API_URL}>
          <a className="skip" href="#main">
            Skip to content
          </a>
          <header className="top">
            <span className="brand">Sluice</span>
            <Nav />
            <ApiKeyForm />
          </header>
          <StatusBanner />
          <main id="main" tabIndex={-1}>
            {children}
          </main>
        </Providers>
      </body>
    </html>
  );
}
