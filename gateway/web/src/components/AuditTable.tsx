/** Commands from the audit log, newest first: when, who, what, the outcome and its latency. */
import type { AuditEntry } from "../api/recorder";
import { formatTimestamp } from "../state/format";

export function AuditTable({ entries, showDevice, label }: { entries: readonly AuditEntry[]; showDevice: boolean; label: string }) {
  return (
    <div className="table-wrap">
      <table className="table" aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Time</th>
            {showDevice ? <th scope="col">Device</th> : null}
            <th scope="col">Actuator</th>
            <th scope="col">Value</th>
            <th scope="col">Outcome</th>
            <th scope="col">By</th>
            <th scope="col">Latency</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry, i) => (
            <tr key={`${entry.ts}-${entry.cid ?? i}`} data-audit-status={entry.status}>
              <td>{formatTimestamp(entry.ts)}</td>
              {showDevice ? <td>{entry.device}</td> : null}
              <td>{entry.actuator}</td>
              <td>{entry.value === null ? "—" : String(entry.value)}</td>
              <td className={entry.status === "ok" ? "" : "outcome-bad"}>
                {entry.status}
                {entry.error ? `: ${entry.error}` : ""}
              </td>
              <td>
                {entry.principal} ({entry.via})
              </td>
              <td>{entry.latency_ms === null ? "—" : `${Math.round(entry.latency_ms)} ms`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
