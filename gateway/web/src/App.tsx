/**
 * The page: header (fleet totals, connection state, navigation, transport setting, logout),
 * banners, and the route's page: the fleet (`/`), a device (`/devices/<id>`), alerts, the command
 * audit (routes.ts).
 */
import { useId, useMemo, useState } from "react";
import { Link, Route, Router, Switch, useLocation } from "wouter";
import { useHashLocation } from "wouter/use-hash-location";

import { BrokerBanner, ConnectionStatus, ReconnectBanner } from "./components/ConnectionStatus";
import { FleetTotals } from "./components/FleetTotals";
import { LoginForm } from "./components/LoginForm";
import type { TransportName } from "./live/stream";
import { useDashboard, type Dashboard } from "./live/useDashboard";
import { AlertsPage } from "./pages/AlertsPage";
import { AuditPage } from "./pages/AuditPage";
import { DevicePage } from "./pages/DevicePage";
import { FleetPage } from "./pages/FleetPage";
import { ALERTS, AUDIT, DEVICE, FLEET } from "./routes";
import { firingCount } from "./state/alertMarks";
import {
  DEFAULT_QUERY,
  fleetEntries,
  totals,
  worstHealth,
  type FleetEntry,
  type FleetQuery,
} from "./state/fleet";

export function App() {
  const dashboard = useDashboard();
  const { devices, alerts, now } = dashboard.state;
  // One verdict per device per render, shared by the header's totals and the fleet's rows.
  const entries = useMemo(() => fleetEntries(devices, alerts, now), [devices, alerts, now]);
  // The fleet's search, filter and sort outlive a visit to a device page (back shows the same list).
  const [query, setQuery] = useState<FleetQuery>(DEFAULT_QUERY);
  if (dashboard.auth === "login") {
    return <LoginForm error={dashboard.loginError} onLogin={dashboard.login} />;
  }
  const operator = dashboard.session?.role !== "viewer";
  return (
    <Router hook={useHashLocation}>
      <Header dashboard={dashboard} entries={entries} query={query} onQuery={setQuery} />
      <BrokerBanner state={dashboard.state} />
      <ReconnectBanner state={dashboard.state} />
      <main className="page" aria-busy={!dashboard.state.synced}>
        <Switch>
          <Route path={FLEET}>
            <FleetPage entries={entries} state={dashboard.state} query={query} onQuery={setQuery} />
          </Route>
          <Route path={DEVICE}>
            {(params) => (
              <DevicePage
                id={decodeURIComponent(params.id)}
                entries={entries}
                dashboard={dashboard}
                operator={operator}
              />
            )}
          </Route>
          <Route path={ALERTS}>
            <AlertsPage state={dashboard.state} entries={entries} operator={operator} />
          </Route>
          <Route path={AUDIT}>
            <AuditPage operator={operator} />
          </Route>
          <Route>
            <section className="empty">
              <h2>This page does not exist</h2>
              <p>
                <Link href={FLEET}>Back to the fleet</Link>
              </p>
            </section>
          </Route>
        </Switch>
      </main>
    </Router>
  );
}

function Header({
  dashboard,
  entries,
  query,
  onQuery,
}: {
  dashboard: Dashboard;
  entries: readonly FleetEntry[];
  query: FleetQuery;
  onQuery: (query: FleetQuery) => void;
}) {
  const selectId = useId();
  const [, navigate] = useLocation();
  const counts = totals(entries);
  const worst = worstHealth(counts);
  const firing = firingCount(dashboard.state.alerts);
  return (
    <header className={`topbar topbar-${worst ?? "empty"}`} data-fleet-health={worst ?? ""}>
      <h1 className="brand">
        <Link href={FLEET}>pigw</Link>
      </h1>
      <FleetTotals
        counts={counts}
        selected={query.health}
        onSelect={(health) => {
          onQuery({ ...query, health });
          navigate(FLEET);
        }}
      />
      <ConnectionStatus state={dashboard.state} />
      <nav className="nav" aria-label="Pages">
        <Link href={FLEET}>Fleet</Link>
        <Link href={ALERTS} aria-label={firing > 0 ? `Alerts, ${firing} firing` : "Alerts"}>
          Alerts
          {firing > 0 ? (
            <span className="badge badge-alert nav-count" data-firing={firing} aria-hidden="true">
              {firing}
            </span>
          ) : null}
        </Link>
        {dashboard.session?.role !== "viewer" ? <Link href={AUDIT}>Audit</Link> : null}
      </nav>
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
