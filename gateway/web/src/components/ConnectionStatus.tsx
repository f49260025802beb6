/**
 * The connection state, always visible in the header: live, connecting, reconnecting,
 * resynchronising after a `reset`, or the gateway has lost its broker. Announced politely to
 * screen readers when it changes.
 */
import type { State } from "../state/reducer";

export type ConnectionView = "connecting" | "live" | "resyncing" | "reconnecting" | "broker-lost";

export function connectionView(state: State): ConnectionView {
  if (state.phase === "reconnecting") return "reconnecting";
  if (state.phase === "connecting") return "connecting";
  if (state.brokerConnected === false) return "broker-lost";
  return state.synced ? "live" : "resyncing";
}

const LABELS: Record<ConnectionView, string> = {
  connecting: "Connecting…",
  live: "Live",
  resyncing: "Resynchronising…",
  reconnecting: "Reconnecting…",
  "broker-lost": "Gateway lost its broker",
};

export function ConnectionStatus({ state }: { state: State }) {
  const view = connectionView(state);
  return (
    <p className={`connection connection-${view}`} role="status" data-connection={view}>
      <span className="connection-dot" aria-hidden="true" />
      {LABELS[view]}
    </p>
  );
}

/** The banner under the header while the gateway has no broker: values may be out of date. */
export function BrokerBanner({ state }: { state: State }) {
  if (state.brokerConnected !== false) return null;
  return (
    <div className="banner banner-warning" role="alert" data-banner="broker-lost">
      <strong>The gateway has lost its MQTT broker.</strong> The values below are the last ones it
      received and may be out of date. It reconnects by itself; this notice disappears when it does.
    </div>
  );
}

/** The banner while the stream itself is down (the gateway or the network is away). */
export function ReconnectBanner({ state }: { state: State }) {
  if (state.phase !== "reconnecting") return null;
  return (
    <div className="banner banner-info" data-banner="reconnecting">
      The live connection to the gateway dropped. Reconnecting by itself; the view catches up with
      everything it missed as soon as it is back.
    </div>
  );
}
