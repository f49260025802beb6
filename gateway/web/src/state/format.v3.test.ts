import { describe, expect, it } from "vitest";

import { binaryWords, formatClock, formatDuration, formatPointValue, formatSince } from "./format";

const NOW = Date.parse("2026-11-24T01:45:00.000Z");

describe("trouble in words", () => {
  it("offline since 01:42 (3 min)", () => {
    expect(formatSince("offline", Date.parse("2026-11-24T01:42:00.000Z"), NOW, "UTC")).toBe(
      "offline since 01:42 (3 min)",
    );
  });

  it("a time on another day carries its date", () => {
    expect(formatClock(Date.parse("2026-11-22T23:05:00.000Z"), NOW, { timeZone: "UTC" })).toBe("22 Nov 23:05");
    expect(formatClock(Date.parse("2026-11-24T01:02:03.000Z"), NOW, { seconds: true, timeZone: "UTC" })).toBe(
      "01:02:03",
    );
  });

  it("durations in the largest unit that fits", () => {
    expect(formatDuration(40_000)).toBe("40 s");
    expect(formatDuration(3 * 60_000)).toBe("3 min");
    expect(formatDuration(125 * 60_000)).toBe("2 h 5 min");
    expect(formatDuration(3 * 86_400_000)).toBe("3 d");
  });
});

describe("binary inputs in the user's terms", () => {
  it("a door reads Open/Closed, motion Detected/Clear, anything else on/off", () => {
    expect(formatPointValue(true, null, { kind: "digital", device_class: "door", settable: false })).toBe("Open");
    expect(formatPointValue(false, null, { kind: "digital", device_class: "door", settable: false })).toBe("Closed");
    expect(formatPointValue(true, null, { kind: "motion", settable: false })).toBe("Detected");
    expect(formatPointValue(false, null, { kind: "motion", settable: false })).toBe("Clear");
    expect(formatPointValue(true, null, { kind: "relay", settable: true })).toBe("on");
    expect(binaryWords(undefined).fell).toBe("off");
    expect(formatPointValue(21.37, "°C", undefined)).toBe("21.4 °C");
  });
});
