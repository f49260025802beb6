/**
 * One device: its state and identity, a chart for every sensor and actuator over a chosen range
 * (uPlot; binary points get an event list instead), the history's coverage, a CSV download of
 * each chart's range, the actuator controls, and — for operators — the recent commands.
 */
import { useCallback, useMemo, useState } from "react";
import { Link } from "wouter";

import type { Alert } from "../api/alerts";
import { historyUrl, type PointRole } from "../api/client";
import type { PointMeta } from "../api/types";
import { ActuatorControl } from "../components/ActuatorControl";
import { CoverageLine } from "../components/CoverageLine";
import { HistoryChart } from "../components/HistoryChart";
import { RangePicker } from "../components/RangePicker";
import { RecentCommands } from "../components/RecentCommands";
import { useAlertHistory } from "../live/useAlertHistory";
import { useCapabilities } from "../live/useCapabilities";
import type { Dashboard } from "../live/useDashboard";
import { chartKey, useHistory, type ChartRequest, type PointHistoryState } from "../live/useHistory";
import { FLEET } from "../routes";
import { alertSpans, type AlertSpan } from "../state/alertMarks";
import type { FleetEntry } from "../state/fleet";
import {
  binaryWords,
  formatAgo,
  formatClock,
  formatDuty,
  formatPointValue,
  formatSince,
  formatTimestamp,
  pointLabel,
} from "../state/format";
import { HEALTH_LABELS, troubleSince } from "../state/health";
import { pointOrder } from "../state/points";
import { commandKey, expectedPeriod, isBinaryKind, STALE_FACTOR, type DeviceState, type Point } from "../state/reducer";
import {
  binaryEvents,
  DEFAULT_RANGE,
  followsNow,
  maxPointsFor,
  stepFor,
  window as rangeWindow,
  type Range,
} from "../state/series";

interface Shown {
  range: Range;
  from: number;
  to: number;
  /** Bumped on every choice, so choosing the same preset again refreshes it. */
  generation: number;
}

function show(range: Range, generation: number): Shown {
  return { range, ...rangeWindow(range, Date.now()), generation };
}

export function DevicePage({
  id,
  entries,
  dashboard,
  operator,
}: {
  id: string;
  entries: readonly FleetEntry[];
  dashboard: Dashboard;
  operator: boolean;
}) {
  const entry = entries.find((candidate) => candidate.device.id === id);
  if (entry === undefined) {
    return (
      <section className="empty" data-device-missing={id}>
        <h2>{dashboard.state.synced ? `No device “${id}”` : "Loading…"}</h2>
        {dashboard.state.synced ? (
          <p>
            The gateway does not know this device (it may have been removed).{" "}
            <Link href={FLEET}>Back to the fleet</Link>
          </p>
        ) : null}
      </section>
    );
  }
  return <DeviceView entry={entry} dashboard={dashboard} operator={operator} />;
}

function isBinary(point: Point | undefined, meta: PointMeta | undefined, role: PointRole): boolean {
  if (role === "sensor") return isBinaryKind(meta?.kind) || typeof point?.value === "boolean";
  return meta?.kind !== "pwm_led" && typeof point?.value !== "number";
}

function DeviceView({ entry, dashboard, operator }: { entry: FleetEntry; dashboard: Dashboard; operator: boolean }) {
  const { device, health, title } = entry;
  const now = dashboard.state.now;
  const [shown, setShown] = useState<Shown>(() => show(DEFAULT_RANGE, 0));
  const choose = useCallback((range: Range) => {
    setShown((current) => show(range, current.generation + 1));
  }, []);
  const zoom = useCallback(
    (from: number, to: number) => {
      choose({ kind: "custom", from, to });
    },
    [choose],
  );
  const capabilities = useCapabilities();
  const sensors = pointOrder(device.meta?.sensors, device.sensors);
  const actuators = pointOrder(device.meta?.actuators, device.actuators);
  // Nothing is asked until the gateway's parts are known; actuators only where it records them.
  const charted = capabilities === null ? null : capabilities.actuatorHistory ? actuators : [];
  const pointsKey = `${sensors.join(",")}|${charted?.join(",") ?? "?"}`;
  const requests = useMemo<ChartRequest[]>(() => {
    const of = (role: PointRole, ids: string[], points: Readonly<Record<string, Point>>, metas?: Readonly<Record<string, PointMeta>>) =>
      ids.map((point) => {
        const meta = metas?.[point];
        const period = expectedPeriod(meta);
        return {
          role,
          point,
          binary: isBinary(points[point], meta, role),
          gapAfterS: period === null ? null : STALE_FACTOR * period,
        };
      });
    if (charted === null) return [];
    return [
      ...of("sensor", sensors, device.sensors, device.meta?.sensors),
      ...of("actuator", charted, device.actuators, device.meta?.actuators),
    ];
    // The charts change when the set of points does, not on every reading.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pointsKey, device.meta]);
  const history = useHistory(device.id, requests, shown.from, shown.to, String(shown.generation));
  const deviceAlerts = useAlertHistory(device.id, dashboard.state.alerts, capabilities?.alerts === true);
  const follow = followsNow(shown.range, now);
  const trouble = troubleSince(device, health);
  const step = stepFor(shown.from, shown.to);

  return (
    <article className="device-page" aria-labelledby="device-title" data-device={device.id} data-online={device.online} data-health={health}>
      <header className="device-page-header">
        <p className="crumbs">
          <Link href={FLEET}>Fleet</Link> /
        </p>
        <h2 id="device-title">{title}</h2>
        <span className={`badge badge-${health}`}>{HEALTH_LABELS[health]}</span>
        {trouble !== null ? <span className="trouble">{formatSince(HEALTH_LABELS[health], trouble, now)}</span> : null}
        <p className="device-details">
          <span>id {device.id}</span>
          {device.meta ? <span>{device.meta.model}</span> : null}
          {device.meta ? <span>agent {device.meta.sw}</span> : null}
          <span className="last-seen" title={formatTimestamp(device.lastSeen)}>
            last seen {formatAgo(device.lastSeen, now)}
          </span>
        </p>
      </header>

      {actuators.length > 0 ? (
        <section className="device-section" aria-label={`${title} actuators`}>
          <h3 className="section-title">Controls</h3>
          <ul className="points controls">
            {actuators.map((id) => (
              <ActuatorControl
                key={id}
                id={id}
                point={device.actuators[id]}
                meta={device.meta?.actuators?.[id]}
                command={dashboard.state.commands[commandKey(device.id, id)]}
                online={device.online}
                canCommand={operator}
                now={now}
                onSend={(value) => {
                  dashboard.send(device.id, id, value);
                }}
              />
            ))}
          </ul>
        </section>
      ) : null}

      <section className="device-section" aria-labelledby="charts-title">
        <div className="charts-head">
          <h3 id="charts-title" className="section-title">
            History
          </h3>
          <RangePicker range={shown.range} from={shown.from} to={shown.to} onRange={choose} />
        </div>
        <p className="range-note" data-step={step}>
          {formatClock(shown.from, now)} – {follow ? "now" : formatClock(shown.to, now)}
          {" · "}
          {step === "raw" ? "every reading" : `${step === "1m" ? "1-minute" : "1-hour"} buckets (line: average, band: min–max)`}
          {" · drag across a chart to zoom"}
        </p>
        {capabilities?.coverage ? <CoverageLine device={device.id} generation={shown.generation} /> : null}
        <div className="charts">
          {sensors.map((id) => (
            <PointPanel
              key={`s-${id}`}
              device={device}
              pointRole="sensor"
              id={id}
              history={history[chartKey("sensor", id)]}
              alerts={deviceAlerts}
              shown={shown}
              follow={follow}
              now={now}
              onZoom={zoom}
            />
          ))}
          {actuators.map((id) => (
            <PointPanel
              key={`a-${id}`}
              device={device}
              pointRole="actuator"
              id={id}
              history={
                capabilities?.actuatorHistory === false
                  ? { status: "none", reason: "this gateway records no actuator history" }
                  : history[chartKey("actuator", id)]
              }
              alerts={deviceAlerts}
              shown={shown}
              follow={follow}
              now={now}
              onZoom={zoom}
            />
          ))}
        </div>
      </section>

      {operator && capabilities !== null ? (
        <RecentCommands device={device.id} commands={dashboard.state.commands} available={capabilities.audit} />
      ) : null}
    </article>
  );
}

function PointPanel({
  device,
  pointRole: role,
  id,
  history,
  alerts,
  shown,
  follow,
  now,
  onZoom,
}: {
  device: DeviceState;
  pointRole: PointRole;
  id: string;
  history: PointHistoryState | undefined;
  alerts: readonly Alert[];
  shown: Shown;
  follow: boolean;
  now: number;
  onZoom: (from: number, to: number) => void;
}) {
  const meta = role === "sensor" ? device.meta?.sensors?.[id] : device.meta?.actuators?.[id];
  const point = role === "sensor" ? device.sensors[id] : device.actuators[id];
  const label = pointLabel(id, meta);
  const unit = point?.unit ?? meta?.unit ?? null;
  const binary = isBinary(point, meta, role);
  const spans = useMemo(() => alertSpans(alerts, device.id, id), [alerts, device.id, id]);
  const step = binary ? "raw" : stepFor(shown.from, shown.to);
  const csv = historyUrl(
    device.id,
    role,
    id,
    { from: new Date(shown.from), to: new Date(shown.to), step, maxPoints: maxPointsFor(step) },
    "csv",
  );
  const value = point?.value ?? null;
  const dataAttrs = role === "sensor" ? { "data-sensor": id } : { "data-actuator-chart": id };
  return (
    <section
      className="point-panel"
      aria-label={label}
      {...dataAttrs}
      data-seq={point?.seq ?? ""}
      data-stale={point?.stale ?? false}
    >
      <header className="point-panel-head">
        <h4 className="point-name">{label}</h4>
        <span
          className={binary ? `point-value binary binary-${value === true ? "on" : "off"}` : "point-value"}
          data-value={value === null ? "" : String(value)}
        >
          {meta?.kind === "pwm_led" && typeof value === "number" ? formatDuty(value) : formatPointValue(value, unit, meta)}
        </span>
        {point?.stale ? (
          <span className="badge badge-stale" title="No update within its expected period">
            stale
          </span>
        ) : null}
        <span className="point-meta">
          {meta?.pin != null ? <span data-pin="">GPIO {meta.pin}</span> : null}
          <span title={formatTimestamp(point?.ts)}>{point?.ts ? formatAgo(point.ts, now) : "no reading yet"}</span>
          {history?.status === "none" ? null : (
            <a href={csv} download className="csv-link" aria-label={`Download ${label} as CSV`}>
              CSV
            </a>
          )}
        </span>
      </header>
      <PanelBody
        history={history}
        binary={binary}
        meta={meta}
        point={point}
        shown={shown}
        follow={follow}
        now={now}
        label={label}
        unit={unit}
        spans={spans}
        onZoom={onZoom}
      />
    </section>
  );
}

function PanelBody({
  history,
  binary,
  meta,
  point,
  shown,
  follow,
  now,
  label,
  unit,
  spans,
  onZoom,
}: {
  history: PointHistoryState | undefined;
  binary: boolean;
  meta: PointMeta | undefined;
  point: Point | undefined;
  shown: Shown;
  follow: boolean;
  now: number;
  label: string;
  unit: string | null;
  spans: readonly AlertSpan[];
  onZoom: (from: number, to: number) => void;
}) {
  if (history === undefined || history.status === "loading") {
    return <p className="chart-note" data-history="loading">Loading history…</p>;
  }
  if (history.status === "none") {
    return (
      <p className="chart-note" data-history="none">
        {history.reason}
      </p>
    );
  }
  if (binary) {
    const words = binaryWords(meta);
    const events = binaryEvents(
      point?.ts && typeof point.value === "boolean" && point.seq !== null
        ? [...history.readings, { ts: point.ts, value: point.value, seq: point.seq }].filter(
            (reading, i, all) => all.findIndex((other) => other.seq === reading.seq) === i,
          )
        : history.readings,
      words,
    );
    if (events.length === 0) return <p className="chart-note" data-history="empty">No changes in this range.</p>;
    return (
      <ol className="events" aria-label={`${label} changes, newest first`} data-history="events">
        {events.map((event) => (
          <li key={event.ts} data-event={event.value}>
            <span className="event-text">{event.text}</span>{" "}
            <time dateTime={event.ts} title={formatTimestamp(event.ts)}>
              {formatClock(Date.parse(event.ts), now)}
            </time>
          </li>
        ))}
      </ol>
    );
  }
  return (
    <div data-history="chart">
      <HistoryChart
        series={history.series}
        from={shown.from}
        to={shown.to}
        follow={follow}
        live={point}
        label={label}
        unit={unit}
        alerts={spans}
        onZoom={onZoom}
      />
      {history.series.points === 0 ? <p className="chart-note">No readings in this range yet.</p> : null}
    </div>
  );
}
