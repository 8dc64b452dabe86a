export interface Series {
  label: string;
  color: string;
  /** One value per snapshot; `null` leaves a gap. */
  values: (number | null)[];
}

const W = 400;
const H = 160;
const PAD = { left: 52, right: 8, top: 10, bottom: 30 };

/** Splits values into runs without gaps, as SVG point lists. */
function runs(values: (number | null)[], x: (i: number) => number, y: (v: number) => number): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      if (current.length > 0) out.push(current);
      current = [];
      return;
    }
    current.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
  });
  if (current.length > 0) out.push(current);
  return out;
}

/** The newest non-null value of each series: what the legend (and the page's cards) show. */
export function latestOf(values: (number | null)[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i];
    if (v !== null && v !== undefined && Number.isFinite(v)) return v;
  }
  return null;
}

const minutes = (ms: number) => {
  const m = ms / 60_000;
  return m >= 1 ? `−${Number.isInteger(m) ? m : m.toFixed(1)} min` : `−${Math.round(ms / 1000)} s`;
};

/** A small inline-SVG line chart over a time span that ends now; the newest is on the right. */
export function LineChart({
  title,
  series,
  times,
  now,
  spanMs,
  format,
  testId,
  integer = false,
}: {
  title: string;
  series: Series[];
  /** When each value was taken (ms since the epoch), one per value. */
  times: number[];
  /** Right edge of the time axis (ms since the epoch). */
  now: number;
  /** Width of the time axis. */
  spanMs: number;
  format: (v: number) => string;
  testId: string;
  /** Counts: the axis is scaled so its gridlines fall on whole numbers. */
  integer?: boolean;
}) {
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const top = Math.max(...all, 0);
  const max = integer ? Math.max(2, Math.ceil(top / 2) * 2) : top || 1;
  const x = (i: number) => {
    const at = times[i] ?? now;
    const f = Math.min(1, Math.max(0, 1 - (now - at) / spanMs));
    return PAD.left + f * (W - PAD.left - PAD.right);
  };
  const y = (v: number) => PAD.top + (1 - v / max) * (H - PAD.top - PAD.bottom);
  const latest = series.map((s) => latestOf(s.values));
  return (
    <figure className="chart" data-testid={testId} data-points={all.length}>
      <h2>{title}</h2>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`${title}: ${series.map((s, i) => `${s.label} ${latest[i] === null ? "no data" : format(latest[i] as number)}`).join(", ")}`}
      >
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line
              x1={PAD.left}
              x2={W - PAD.right}
              y1={y(max * f)}
              y2={y(max * f)}
              stroke="#d0d7de"
              strokeWidth={1}
            />
            <text x={PAD.left - 4} y={y(max * f) + 4} textAnchor="end" fontSize={12} fill="#57606a">
              {format(max * f)}
            </text>
          </g>
        ))}
        {[1, 0.5, 0].map((f) => (
          <text
            key={f}
            x={PAD.left + (1 - f) * (W - PAD.left - PAD.right)}
            y={H - 14}
            textAnchor={f === 1 ? "start" : f === 0 ? "end" : "middle"}
            fontSize={11}
            fill="#57606a"
          >
            {f === 0 ? "now" : minutes(spanMs * f)}
          </text>
        ))}
        <text x={(PAD.left + W - PAD.right) / 2} y={H - 2} textAnchor="middle" fontSize={11} fill="#57606a">
          time
        </text>
        {series.map((s) =>
          runs(s.values, x, y).map((points, k) =>
            points.length === 1 ? (
              <circle
                key={`${s.label}${k}`}
                cx={points[0]?.split(",")[0]}
                cy={points[0]?.split(",")[1]}
                r={2.5}
                fill={s.color}
              />
            ) : (
              <polyline
                key={`${s.label}${k}`}
                points={points.join(" ")}
                fill="none"
                stroke={s.color}
                strokeWidth={2}
              />
            ),
          ),
        )}
        {all.length === 0 ? (
          <text x={W / 2} y={H / 2} textAnchor="middle" fontSize={12} fill="#57606a">
            no data yet
          </text>
        ) : null}
      </svg>
      <ul className="legend">
        {series.map((s, i) => (
          <li
            key={s.label}
            style={{ "--swatch": s.color } as React.CSSProperties}
            data-testid={`${testId}-${s.label}`}
          >
            {s.label}: {latest[i] === null ? "–" : format(latest[i] as number)}
          </li>
        ))}
      </ul>
    </figure>
  );
}
