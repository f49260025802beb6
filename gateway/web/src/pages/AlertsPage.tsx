/**
 * `/alerts`: the alerts now pending or firing (live, from the stream) and the recent ones
 * (`GET /api/alerts`); operators acknowledge a firing alert. A gateway without alerts answers
 * 404: the page says so.
 */
import { useEffect, useState } from "react";
import { Link } from "wouter";

import { alertKey, type Alert } from "../api/alerts";
import { ackAlert, getAlerts, HttpError } from "../api/client";
import { useCapabilities } from "../live/useCapabilities";
import { devicePath } from "../routes";
import type { FleetEntry } from "../state/fleet";
import { formatTimestamp } from "../state/format";
import type { State } from "../state/reducer";

export function AlertsPage({ state, entries, operator }: { state: State; entries: readonly FleetEntry[]; operator: boolean }) {
  const [recent, setRecent] = useState<Alert[] | string | null>(null);
  const [acked, setAcked] = useState(0);
  const [ackError, setAckError] = useState<string | null>(null);
  const capabilities = useCapabilities();
  const available = capabilities?.alerts !== false;
  useEffect(() => {
    if (!available) return;
    const abort = new AbortController();
    getAlerts(abort.signal).then(
      (list) => {
        setRecent(list.recent);
      },
      (error: unknown) => {
        if (abort.signal.aborted) return;
        setRecent(
          error instanceof HttpError && error.status === 404
            ? "This gateway has no alert rules (--alerts-file)."
            : "Recent alerts could not be loaded.",
        );
      },
    );
    return () => {
      abort.abort();
    };
  }, [acked, available]);
  const shownRecent = available ? recent : "This gateway has no alert rules (--alerts-file).";
  const titles = new Map(entries.map((entry) => [entry.device.id, entry.title]));
  const active = Object.values(state.alerts).sort(
    (a, b) => (a.state === b.state ? b.since.localeCompare(a.since) : a.state === "firing" ? -1 : 1),
  );
  return (
    <section className="simple-page" aria-labelledby="alerts-title">
      <h2 id="alerts-title">Alerts</h2>
      <h3 className="section-title">Active</h3>
      {active.length === 0 ? (
        <p className="chart-note" data-alerts="none">No active alerts.</p>
      ) : (
        <AlertTable
          alerts={active}
          titles={titles}
          label="Active alerts"
          onAck={
            operator
              ? (alert) => {
                  setAckError(null);
                  ackAlert(alert)
                    .catch((error: unknown) => {
                      setAckError(
                        `Could not acknowledge ${alert.rule}: ${error instanceof HttpError ? error.message : "the gateway did not answer"}.`,
                      );
                    })
                    .finally(() => {
                      setAcked((n) => n + 1);
                    });
                }
              : null
          }
        />
      )}
      {ackError !== null ? (
        <p className="chart-note" role="alert">
          {ackError}
        </p>
      ) : null}
      <h3 className="section-title">Recent</h3>
      {shownRecent === null ? <p className="chart-note">Loading…</p> : null}
      {typeof shownRecent === "string" ? <p className="chart-note">{shownRecent}</p> : null}
      {Array.isArray(shownRecent) ? (
        shownRecent.length === 0 ? (
          <p className="chart-note">Nothing recent.</p>
        ) : (
          <AlertTable alerts={shownRecent} titles={titles} label="Recent alerts" onAck={null} />
        )
      ) : null}
    </section>
  );
}

function AlertTable({
  alerts,
  titles,
  label,
  onAck,
}: {
  alerts: readonly Alert[];
  titles: ReadonlyMap<string, string>;
  label: string;
  onAck: ((alert: Alert) => void) | null;
}) {
  return (
    <div className="table-wrap">
      <table className="table" aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Severity</th>
            <th scope="col">State</th>
            <th scope="col">Device</th>
            <th scope="col">Point</th>
            <th scope="col">Rule</th>
            <th scope="col">Value</th>
            <th scope="col">Since</th>
            {onAck ? <th scope="col">Acknowledge</th> : null}
          </tr>
        </thead>
        <tbody>
          {alerts.map((alert) => (
            <tr key={`${alertKey(alert)}-${alert.ts}`} className={`alert-${alert.severity}`} data-alert={alertKey(alert)}>
              <td>
                <span className={`badge badge-severity-${alert.severity}`}>{alert.severity}</span>
              </td>
              <td>{alert.state}</td>
              <td>
                <Link href={devicePath(alert.device)}>{titles.get(alert.device) ?? alert.device}</Link>
              </td>
              <td>{alert.point ?? "—"}</td>
              <td>{alert.rule}</td>
              <td>{alert.value === null ? "—" : String(alert.value)}</td>
              <td>{formatTimestamp(alert.since)}</td>
              {onAck ? (
                <td>
                  {alert.acknowledged_by ? (
                    <span data-acknowledged-by={alert.acknowledged_by}>by {alert.acknowledged_by}</span>
                  ) : alert.state === "firing" ? (
                    <button
                      type="button"
                      className="link-button"
                      aria-label={`Acknowledge ${alert.rule} on ${titles.get(alert.device) ?? alert.device}`}
                      onClick={() => {
                        onAck(alert);
                      }}
                    >
                      Acknowledge
                    </button>
                  ) : (
                    "—"
                  )}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
