/** A sensor's recent history as a small line; described in words for screen readers. */
import type { HistoryPoint } from "../state/reducer";
import { formatValue, sparklinePoints } from "../state/format";

const WIDTH = 120;
const HEIGHT = 28;

export function Sparkline({
  history,
  unit,
  label,
}: {
  history: readonly HistoryPoint[];
  unit: string | null;
  label: string;
}) {
  const values = history.flatMap((point) => (typeof point.value === "number" ? [point.value] : []));
  if (values.length < 2) return <span className="sparkline sparkline-empty" aria-hidden="true" />;
  const min = Math.min(...values);
  const max = Math.max(...values);
  const description = `${label}: last ${values.length} readings, from ${formatValue(min, unit)} to ${formatValue(max, unit)}`;
  return (
    <svg
      className="sparkline"
      viewBox={`-1 -2 ${WIDTH + 2} ${HEIGHT + 4}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={description}
      data-points={values.length}
    >
      <title>{description}</title>
      <polyline points={sparklinePoints(values, WIDTH, HEIGHT)} />
    </svg>
  );
}
