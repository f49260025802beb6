/** The device page's recent commands from the audit log (operators); reloaded whenever a command
 * sent from this page settles. */
import type { Command } from "../state/reducer";
import { useAudit } from "../live/useAudit";
import { AuditTable } from "./AuditTable";

export function RecentCommands({
  device,
  commands,
  available,
}: {
  device: string;
  commands: Readonly<Record<string, Command>>;
  /** Whether the gateway keeps an audit (api/capabilities.ts). */
  available: boolean;
}) {
  const settled = Object.entries(commands)
    .filter(([key, command]) => key.startsWith(`${device}/`) && command.settledAt !== null)
    .map(([, command]) => command.settledAt)
    .join(",");
  const audit = useAudit(available ? device : null, 20, settled, available);
  return (
    <section className="device-section" aria-labelledby="recent-commands-title" data-audit={audit.status}>
      <h3 id="recent-commands-title" className="section-title">
        Recent commands
      </h3>
      {audit.status === "loading" ? <p className="chart-note">Loading…</p> : null}
      {audit.status === "none" ? <p className="chart-note">{audit.reason}</p> : null}
      {audit.status === "ok" ? (
        audit.entries.length === 0 ? (
          <p className="chart-note">No commands recorded for this device.</p>
        ) : (
          <AuditTable entries={audit.entries} showDevice={false} label="Recent commands" />
        )
      ) : null}
    </section>
  );
}
