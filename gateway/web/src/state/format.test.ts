import { describe, expect, it } from "vitest";

import {
  describeCommandFailure,
  formatAgo,
  formatDuty,
  formatNumber,
  formatValue,
  pointLabel,
  sparklinePoints,
} from "./format";

const NOW = Date.parse("2026-11-24T06:00:00.000Z");
const ago = (ms: number) => new Date(NOW - ms).toISOString();

describe("formatValue", () => {
  it("writes digital values as on/off", () => {
    expect(formatValue(true, null)).toBe("on");
    expect(formatValue(false, "V")).toBe("off");
  });

  it("writes numbers with their unit and sensible decimals", () => {
    expect(formatValue(21.437, "°C")).toBe("21.4 °C");
    expect(formatValue(0.53219, "V")).toBe("0.532 V");
    expect(formatValue(3.14159, null)).toBe("3.14");
    expect(formatValue(1234.6, "MB")).toBe("1,235 MB");
    expect(formatValue(-7.25, "°C")).toBe("-7.25 °C");
  });

  it("writes a missing value as a dash", () => {
    expect(formatValue(null, "°C")).toBe("—");
  });

  it("rounds small numbers to three decimals", () => {
    expect(formatNumber(0.00049)).toBe("0");
    expect(formatNumber(0)).toBe("0");
  });
});

describe("formatDuty", () => {
  it("writes a duty cycle as a percentage", () => {
    expect(formatDuty(0)).toBe("0 %");
    expect(formatDuty(0.404)).toBe("40 %");
    expect(formatDuty(1)).toBe("100 %");
  });
});

describe("formatAgo", () => {
  it("counts seconds, minutes, hours and days", () => {
    expect(formatAgo(ago(2_000), NOW)).toBe("just now");
    expect(formatAgo(ago(12_000), NOW)).toBe("12 s ago");
    expect(formatAgo(ago(3 * 60_000 + 5_000), NOW)).toBe("3 min ago");
    expect(formatAgo(ago(2 * 3_600_000), NOW)).toBe("2 h ago");
    expect(formatAgo(ago(4 * 86_400_000), NOW)).toBe("4 d ago");
  });

  it("reads a device clock slightly ahead as now", () => {
    expect(formatAgo(new Date(NOW + 3_000).toISOString(), NOW)).toBe("just now");
  });

  it("says never without a time and unknown for a bad one", () => {
    expect(formatAgo(null, NOW)).toBe("never");
    expect(formatAgo("yesterday-ish", NOW)).toBe("unknown");
  });
});

describe("pointLabel", () => {
  it("prefers the meta's name", () => {
    expect(pointLabel("temp", { kind: "ds18b20", name: "Kitchen", settable: false })).toBe("Kitchen");
    expect(pointLabel("temp", { kind: "ds18b20", settable: false })).toBe("temp");
    expect(pointLabel("temp", undefined)).toBe("temp");
  });
});

describe("describeCommandFailure", () => {
  it("explains the gateway's answer", () => {
    expect(describeCommandFailure(409, "device pi1 is offline")).toBe(
      "the device is offline (device pi1 is offline)",
    );
    expect(describeCommandFailure(504, null)).toBe("no acknowledgement from the device in time");
    expect(describeCommandFailure(403, "operator role required")).toBe(
      "your token has no operator role",
    );
    expect(describeCommandFailure(500, null)).toBe("the gateway answered 500");
  });
});

describe("sparklinePoints", () => {
  it("scales values into the box, oldest at the left", () => {
    expect(sparklinePoints([0, 5, 10], 100, 20)).toBe("0,20 50,10 100,0");
  });

  it("draws a flat series in the middle", () => {
    expect(sparklinePoints([3, 3], 100, 20)).toBe("0,10 100,10");
  });

  it("handles one and no values", () => {
    expect(sparklinePoints([7], 100, 20)).toBe("50,10");
    expect(sparklinePoints([], 100, 20)).toBe("");
  });
});
