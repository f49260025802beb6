import { describe, expect, it } from "vitest";

import { capabilitiesOf } from "./capabilities";

describe("capabilitiesOf", () => {
  it("reads the optional routes off the gateway's OpenAPI paths, whatever their parameter names", () => {
    expect(
      capabilitiesOf({
        "/api/devices/{dev}/actuators/{act}/history": {},
        "/api/devices/{device}/coverage": {},
        "/api/audit": {},
      }),
    ).toEqual({ actuatorHistory: true, coverage: true, audit: true, alerts: false });
  });

});
