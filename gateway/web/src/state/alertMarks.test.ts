import { describe, expect, it } from "vitest";

import type { Alert } from "../api/alerts";
import { alertSpans, firingCount, spansInWindow } from "./alertMarks";

function alert(state: Alert["state"], since: string, ts: string, extra: Partial<Alert> = {}): Alert {
  return { rule: "hot", device: "d1", point: "t", state, severity: "warning", value: 30, since, ts, ...extra };
}

const T = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

describe("firingCount", () => {
  it("counts firing alerts only, not pending ones", () => {
    expect(
      firingCount({
        a: alert("firing", T(0), T(1)),
        b: alert("pending", T(0), T(0), { rule: "cold" }),
        c: alert("firing", T(0), T(2), { device: "d2" }),
      }),
    ).toBe(2);
    expect(firingCount({})).toBe(0);
  });
});

describe("alertSpans", () => {
  it("pairs a firing with its resolved transition, and leaves a firing one open", () => {
    const spans = alertSpans(
      [
        alert("resolved", T(0), T(30)),
        alert("firing", T(0), T(10)),
        alert("firing", T(40), T(45)),
        alert("pending", T(50), T(50)),
      ],
      "d1",
      "t",
    );
    expect(spans).toEqual([
      { rule: "hot", severity: "warning", from: Date.parse(T(10)), to: Date.parse(T(30)) },
      { rule: "hot", severity: "warning", from: Date.parse(T(45)), to: null },
    ]);
  });

  it("keeps to its device and point, counts a duplicate once and starts a lone resolved at since", () => {
    const spans = alertSpans(
      [
        alert("firing", T(5), T(6)),
        alert("firing", T(5), T(6)),
        alert("firing", T(5), T(6), { point: "h" }),
        alert("firing", T(5), T(6), { device: "d2" }),
        alert("resolved", T(1), T(3), { rule: "cold" }),
      ],
      "d1",
      "t",
    );
    expect(spans.map((s) => [s.rule, s.from, s.to])).toEqual([
      ["cold", Date.parse(T(1)), Date.parse(T(3))],
      ["hot", Date.parse(T(6)), null],
    ]);
  });
});

describe("alertSpans across spellings", () => {
  it("counts the stream's and the store's copy of one firing once, even spelled differently", () => {
    const fired = Date.parse(T(6));
    const spans = alertSpans(
      [
        alert("firing", T(5), T(6), { acknowledged_by: "ann" }),
        alert("firing", "2026-01-01T00:00:05.000001Z", "2026-01-01T00:00:06.000Z"),
      ],
      "d1",
      "t",
    );
    expect(spans).toEqual([{ rule: "hot", severity: "warning", from: fired, to: null }]);
  });
});

describe("spansInWindow", () => {
  it("clips to the window, runs an open span to its end and drops what lies outside", () => {
    const spans = [
      { rule: "a", severity: "info" as const, from: 0, to: 5 },
      { rule: "b", severity: "info" as const, from: 8, to: 20 },
      { rule: "c", severity: "critical" as const, from: 12, to: null },
    ];
    expect(spansInWindow(spans, 10, 15).map(({ from, to, span }) => [span.rule, from, to])).toEqual([
      ["b", 10, 15],
      ["c", 12, 15],
    ]);
  });
});
