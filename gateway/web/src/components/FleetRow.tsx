/** One device in the fleet: name (a link to its page), its state in colour ("offline since 01:42
 * (3 min)"), last seen, its first few values, a sparkline of live values and its active alerts. */
import { memo } from "react";
import { Link } from "wouter";

import { devicePath } from "../routes";
import type { FleetEntry } from "../state/fleet";
import { formatAgo, formatPointValue, formatSince, formatTimestamp, pointLabel } from "../state/format";
import { HEALTH_LABELS, troubleSince } from "../state/health";
import { pointOrder } from "../state/points";
import { Sparkline } from "./Sparkline";

/** The values a row shows: the agent's first sensors, in the order its config lists them. */
export const ROW_VALUES = 4;

function FleetRowView({ entry, now }: { entry: FleetEntry; now: number }) {
  const { device, health, title, alerts } = entry;
  const titleId = `fleet-${device.id}-title`;
  const sensors = pointOrder(device.meta?.sensors, device.sensors).slice(0, ROW_VALUES);
  const sparkSensor = sensors.find((id) => typeof device.sensors[id]?.value === "number");
  const trouble = health === "online" || health === "stale" ? null : troubleSince(device, health);
  const label = HEALTH_LABELS[health];
  return (
    <article
      className={`fleet-row fleet-row-${health}`}
      aria-labelledby={titleId}
      data-device={device.id}
      data-online={device.online}
      data-health={health}
      data-alerts={alerts}
    >
      <h2 id={titleId} className="fleet-name">
        <Link href={devicePath(device.id)}>{title}</Link>
      </h2>
      <span className={`badge badge-${health}`}>{label}</span>
      <p className="fleet-when">
        {trouble !== null ? (
          <span className="trouble">{formatSince(label, trouble, now)}</span>
        ) : null}
        <span className="last-seen" title={formatTimestamp(device.lastSeen)}>
          last seen {formatAgo(device.lastSeen, now)}
        </span>
        {alerts > 0 ? (
          <span className="badge badge-alert" data-alert-mark="">
            {alerts} active alert{alerts === 1 ? "" : "s"}
          </span>
        ) : null}
      </p>
      <ul className="fleet-values" aria-label={`${title} values`}>
        {sensors.map((id) => {
          const point = device.sensors[id];
          const meta = device.meta?.sensors?.[id];
          return (
            <li key={id} data-sensor={id} data-seq={point?.seq ?? ""} data-stale={point?.stale ?? false}>
              <span className="point-name">{pointLabel(id, meta)}</span>{" "}
              <span className={point?.stale ? "point-value value-stale" : "point-value"}>
                {formatPointValue(point?.value ?? null, point?.unit ?? meta?.unit, meta)}
              </span>
            </li>
          );
        })}
      </ul>
      {sparkSensor !== undefined ? (
        <Sparkline
          history={device.history[sparkSensor] ?? []}
          unit={device.sensors[sparkSensor]?.unit ?? null}
          label={pointLabel(sparkSensor, device.meta?.sensors?.[sparkSensor])}
        />
      ) : null}
    </article>
  );
}

/** Re-rendered only when its device, verdict, title or alert count change, or the clock ticks. */
export const FleetRow = memo(
  FleetRowView,
  (a, b) =>
    a.now === b.now &&
    a.entry.device === b.entry.device &&
    a.entry.health === b.entry.health &&
    a.entry.title === b.entry.title &&
    a.entry.alerts === b.entry.alerts,
);
