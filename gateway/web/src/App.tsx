/** The page: header (connection state, transport setting, logout), banners, the device grid. */
import { useId } from "react";

import { BrokerBanner, ConnectionStatus, ReconnectBanner } from "./components/ConnectionStatus";
import { DeviceCard } from "./components/DeviceCard";
import { LoginForm } from "./components/LoginForm";
import type { TransportName } from "./live/stream";
import { useDashboard, type Dashboard } from "./live/useDashboard";

export function App() {
  const dashboard = useDashboard();
  if (dashboard.auth === "login") {
    return <LoginForm error={dashboard.loginError} onLogin={dashboard.login} />;
  }
  return (
    <>
      <Header dashboard={dashboard} />
      <BrokerBanner state={dashboard.state} />
      <ReconnectBanner state={dashboard.state} />
      <main className="grid-wrap" aria-busy={!dashboard.state.synced}>
        <DeviceGrid dashboard={dashboard} />
      </main>
    </>
  );
}

function Header({ dashboard }: { dashboard: Dashboard }) {
  const selectId = useId();
  return (
    <header className="topbar">
      <h1 className="brand">pigw</h1>
      <ConnectionStatus state={dashboard.state} />
      <div className="settings">
        <label htmlFor={selectId}>Live updates</label>
        <select
          id={selectId}
          value={dashboard.transport}
          onChange={(event) => {
            dashboard.setTransport(event.target.value as TransportName);
          }}
        >
          <option value="sse">Server-Sent Events</option>
          <option value="ws">WebSocket</option>
        </select>
        {dashboard.session?.auth === "token" ? (
          <span className="who">
            {dashboard.session.name ?? "logged in"} ({dashboard.session.role})
          </span>
        ) : null}
        {dashboard.session?.auth === "token" ? (
          <button type="button" className="link-button" onClick={() => void dashboard.logout()}>
            Log out
          </button>
        ) : null}
      </div>
    </header>
  );
}

function DeviceGrid({ dashboard }: { dashboard: Dashboard }) {
  const { state } = dashboard;
  const devices = Object.values(state.devices).sort((a, b) =>
    (a.meta?.name ?? a.id).localeCompare(b.meta?.name ?? b.id),
  );
  if (devices.length === 0) {
    return (
      <p className="empty">
        {state.synced
          ? "No devices yet. Start an agent (for a try without hardware: pigw-agent --simulate) and it appears here."
          : "Loading devices…"}
      </p>
    );
  }
  return (
    <div className="grid">
      {devices.map((device) => (
        <DeviceCard
          key={device.id}
          device={device}
          commands={state.commands}
          now={state.now}
          canCommand={dashboard.session?.role !== "viewer"}
          onSend={dashboard.send}
        />
      ))}
    </div>
  );
}
