export interface Series {
  label: string;
  color: string;
  /** One value per snapshot; `null` leaves a gap. */
  values: (number | null)[];
}

const W = 400;
const H = 150;
const PAD = { left: 52, right: 8, top: 10, bottom: 20 };

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

/** A small inline-SVG line chart over the last snapshots; the newest is on the right. */
export function LineChart({
  title,
  series,
  capacity,
  format,
  testId,
  integer = false,
}: {
  title: string;
  series: Series[];
  /** Snapshots the x axis holds. */
  capacity: number;
  format: (v: number) => string;
  testId: string;
  /** Counts: the axis is scaled so its gridlines fall on whole numbers. */
  integer?: boolean;
}) {
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const top = Math.max(...all, 0);
  const max = integer ? Math.max(2, Math.ceil(top / 2) * 2) : top || 1;
  const x = (i: number) => {
    const offset = capacity - (series[0]?.values.length ?? 0);
    return PAD.left + ((i + offset) / Math.max(1, capacity - 1)) * (W - PAD.left - PAD.right);
  };
  const y = (v: number) => PAD.top + (1 - v / max) * (H - PAD.top - PAD.bottom);
  const latest = series.map((s) => [...s.values].reverse().find((v) => v !== null) ?? null);
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
        <text x={W - PAD.right} y={H - 4} textAnchor="end" fontSize={12} fill="#57606a">
          now
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
          <li key={s.label} style={{ "--swatch": s.color } as React.CSSProperties}>
            {s.label}: {latest[i] === null ? "–" : format(latest[i] as number)}
          </li>
        ))}
      </ul>
    </figure>
  );
}
