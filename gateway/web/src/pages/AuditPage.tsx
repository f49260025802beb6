/** `/audit`: every command through the gateway, newest first (operators; CONTRACT.md v3). */
import { AuditTable } from "../components/AuditTable";
import { useAudit } from "../live/useAudit";
import { useCapabilities } from "../live/useCapabilities";

export function AuditPage({ operator }: { operator: boolean }) {
  const capabilities = useCapabilities();
  const audit = useAudit(null, 200, operator, operator && capabilities?.audit !== false);
  return (
    <section className="simple-page" aria-labelledby="audit-title" data-audit={audit.status}>
      <h2 id="audit-title">Command audit</h2>
      {!operator ? <p className="chart-note">The audit needs the operator role.</p> : null}
      {audit.status === "loading" ? <p className="chart-note">Loading…</p> : null}
      {audit.status === "none" ? <p className="chart-note">{audit.reason}</p> : null}
      {audit.status === "ok" ? (
        audit.entries.length === 0 ? (
          <p className="chart-note">No commands recorded yet.</p>
        ) : (
          <AuditTable entries={audit.entries} showDevice label="Command audit" />
        )
      ) : null}
    </section>
  );
}
