// The API types cascade insight as `unknown` (the cascade is optional on a
// server); these are the fields the page shows, all read defensively.

export interface TraceView {
  requestId?: string;
  /** When the decision was made (ISO time). */
  at?: string;
  /** The whole request, every attempt included. */
  latencyMs?: number;
  arm?: string;
  considered?: Array<{ tier: string; decision: string; reason?: string; detail?: string }>;
  attempts?: Array<{
    tier: string;
    outcome: string;
    latencyMs: number;
    threshold?: number;
    confidence?: { score?: number } | number;
    error?: { code: string; message: string };
  }>;
  escalations?: number;
  finalTier?: string;
  degraded?: boolean;
  degradedReason?: string;
}

export interface ArmView {
  arm: string;
  requests: number;
  errorRate?: number;
  escalationRate?: number;
  latencyMeanMs?: number;
  confidenceMean?: number;
  significant?: boolean;
  latencyTest?: { p?: number };
}

export interface SummaryView {
  experiment: string;
  control: string;
  alpha: number;
  arms: ArmView[];
}

export function confidenceOf(c: { score?: number } | number | undefined): number | undefined {
  return typeof c === "number" ? c : c?.score;
}
