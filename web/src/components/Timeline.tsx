/** Occurrences per bucket as bars. */
export function Timeline({ stats, label = "Errors over time" }: { stats: { since: string; timeline: { start: string; occurrences: number }[] }; label?: string }) {
  const max = Math.max(1, ...stats.timeline.map((p) => p.occurrences));
  const w = 600, h = 120, bw = w / Math.max(1, stats.timeline.length);
  return (
    <svg className="timeline" viewBox={`0 0 ${w} ${h + 16}`} role="img" aria-label={label}>
      {stats.timeline.map((p, i) => {
        const bh = (p.occurrences / max) * h;
        return (
          <rect key={p.start} x={i * bw + 1} y={h - bh} width={Math.max(1, bw - 2)} height={bh} className="bar">
            <title>{`${new Date(p.start).toLocaleString()}: ${p.occurrences}`}</title>
          </rect>
        );
      })}
      <line x1={0} x2={w} y1={h} y2={h} className="axis" />
      <text x={0} y={h + 14} className="axis-label">{new Date(stats.since).toLocaleString()}</text>
      <text x={w} y={h + 14} textAnchor="end" className="axis-label">now</text>
    </svg>
  );
}
