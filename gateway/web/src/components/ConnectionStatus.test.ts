import { describe, expect, it } from "vitest";

import { initialState, type State } from "../state/reducer";
import { connectionView } from "./ConnectionStatus";

function state(overrides: Partial<State>): State {
  return { ...initialState(0), ...overrides };
}

describe("connectionView", () => {
  it("names the worst thing the user should know", () => {
    expect(connectionView(state({ phase: "connecting" }))).toBe("connecting");
    expect(connectionView(state({ phase: "live", synced: true }))).toBe("live");
    expect(connectionView(state({ phase: "live", synced: false }))).toBe("resyncing");
    expect(connectionView(state({ phase: "reconnecting", synced: true }))).toBe("reconnecting");
    expect(connectionView(state({ phase: "live", synced: true, brokerConnected: false }))).toBe("broker-lost");
  });

  it("says reconnecting rather than broker-lost while the stream itself is down", () => {
    // An old broker verdict cannot be trusted while we hear nothing from the gateway.
    expect(connectionView(state({ phase: "reconnecting", brokerConnected: false }))).toBe("reconnecting");
  });
});
