/** One sensor: name, latest value and unit (on/off for digital inputs), stale badge, sparkline. */
import type { PointMeta } from "../api/types";
import { formatAgo, formatTimestamp, formatValue, pointLabel } from "../state/format";
import type { HistoryPoint, Point } from "../state/reducer";
import { isBinaryKind } from "../state/reducer";
import { Sparkline } from "./Sparkline";

export function SensorRow({
  id,
  point,
  meta,
  history,
  now,
}: {
  id: string;
  point: Point | undefined;
  meta: PointMeta | undefined;
  history: readonly HistoryPoint[];
  now: number;
}) {
  const label = pointLabel(id, meta);
  const unit = point?.unit ?? meta?.unit ?? null;
  const binary = isBinaryKind(meta?.kind) || typeof point?.value === "boolean";
  const value = point?.value ?? null;
  return (
    <li className="point" data-sensor={id} data-seq={point?.seq ?? ""} data-stale={point?.stale ?? false}>
      <span className="point-name">
        {label}
        {point?.stale ? (
          <span className="badge badge-stale" title="No update within its expected period">
            stale
          </span>
        ) : null}
      </span>
      <span
        className={binary ? `point-value binary binary-${value === true ? "on" : "off"}` : "point-value"}
        data-value={value === null ? "" : String(value)}
      >
        {formatValue(value, unit)}
      </span>
      {binary ? null : <Sparkline history={history} unit={unit} label={label} />}
      <span className="point-age" title={formatTimestamp(point?.ts)}>
        {point?.ts ? formatAgo(point.ts, now) : "no reading yet"}
      </span>
    </li>
  );
}
