/** A trend chart of one repeated lab item (e.g. HbA1c), plain SVG, with its reference range shaded. */
import { useState } from 'preact/hooks';
import type { LabReport } from '../../../shared/archive';
import { formatDate, words } from '../i18n';

interface Point {
  at: number;
  value: number;
  flag: string | null;
}

function seriesOf(reports: readonly LabReport[]): Map<string, { unit: string | null; range: [number, number] | undefined; points: Point[] }> {
  const series = new Map<string, { unit: string | null; range: [number, number] | undefined; points: Point[] }>();
  for (const report of reports) {
    for (const item of report.items ?? []) {
      const value = Number(item.value);
      if (!item.name || item.value === null || !Number.isFinite(value) || !report.collectedAt) continue;
      const entry = series.get(item.name) ?? { unit: item.unit, range: rangeOf(item.referenceRange), points: [] };
      entry.points.push({ at: new Date(report.collectedAt).getTime(), value, flag: item.abnormalFlag });
      series.set(item.name, entry);
    }
  }
  for (const [name, entry] of series) {
    if (entry.points.length < 2) series.delete(name);
    else entry.points.sort((a, b) => a.at - b.at);
  }
  return series;
}

function rangeOf(text: string | null): [number, number] | undefined {
  const match = text ? /(-?\d+(?:\.\d+)?)\s*[-–~]\s*(-?\d+(?:\.\d+)?)/.exec(text) : null;
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

export function TrendChart({ reports }: { reports: readonly LabReport[] }) {
  const t = words();
  const series = seriesOf(reports);
  const names = [...series.keys()].sort((a, b) => (/HbA1c|糖化/.test(b) ? 1 : 0) - (/HbA1c|糖化/.test(a) ? 1 : 0) || a.localeCompare(b));
  const [picked, setPicked] = useState<string | undefined>(undefined);
  const name = picked && series.has(picked) ? picked : names[0];
  if (!name) return <p class="muted">{t.trendNone}</p>;
  const { points, unit, range } = series.get(name)!;
  const width = 340;
  const height = 160;
  const pad = 28;
  const values = points.map((p) => p.value).concat(range ?? []);
  const low = Math.min(...values);
  const high = Math.max(...values);
  const span = high - low || 1;
  const first = points[0]!.at;
  const last = points.at(-1)!.at;
  const x = (at: number) => pad + ((at - first) / (last - first || 1)) * (width - 2 * pad);
  const y = (value: number) => height - pad - ((value - low) / span) * (height - 2 * pad);
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const description = points.map((p) => `${formatDate(new Date(p.at).toISOString())} ${p.value}${unit ?? ''}`).join('; ');
  return (
    <div class="trend">
      <label>
        {t.trendPick}{' '}
        <select value={name} onChange={(event) => setPicked((event.target as HTMLSelectElement).value)}>
          {names.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${t.trend}: ${name}. ${description}`} class="chart">
        {range && <rect x={pad} width={width - 2 * pad} y={y(range[1])} height={Math.max(1, y(range[0]) - y(range[1]))} class="range" />}
        <line x1={pad} x2={width - pad} y1={height - pad} y2={height - pad} class="axis" />
        <path d={path} class="line" />
        {points.map((p) => (
          <g key={p.at}>
            <circle cx={x(p.at)} cy={y(p.value)} r={4} class={p.flag && p.flag !== 'N' ? 'dot abnormal' : 'dot'} />
            <text x={x(p.at)} y={y(p.value) - 8} text-anchor="middle" class="label">
              {p.value}
            </text>
          </g>
        ))}
        <text x={pad} y={height - 8} class="label">{formatDate(new Date(first).toISOString())}</text>
        <text x={width - pad} y={height - 8} text-anchor="end" class="label">{formatDate(new Date(last).toISOString())}</text>
      </svg>
      <p class="muted">{unit ? `${name}（${unit}）` : name}</p>
    </div>
  );
}
