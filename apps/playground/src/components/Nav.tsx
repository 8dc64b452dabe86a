"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const PAGES = [
  { href: "/chat", label: "Chat" },
  { href: "/embeddings", label: "Embeddings" },
  { href: "/cascade", label: "Cascade" },
  { href: "/models", label: "Models" },
  { href: "/metrics", label: "Metrics" },
] as const;

export function Nav() {
  const path = usePathname();
  return (
    <nav aria-label="Pages" className="nav">
      <ul>
        {PAGES.map((p) => (
          <li key={p.href}>
            <Link href={p.href} aria-current={path === p.href ? "page" : undefined}>
              {p.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
