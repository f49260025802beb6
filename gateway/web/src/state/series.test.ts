import { describe, expect, it } from "vitest";

import type { Bucket } from "../api/recorder";
import { binaryWords } from "./format";
import {
  appendLive,
  binaryEvents,
  bucketSeries,
  coverageText,
  followsNow,
  rawSeries,
  stepFor,
  window,
} from "./series";

const T0 = Date.parse("2026-11-24T06:00:00.000Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const H = 3_600_000;

describe("the tier a range asks for", () => {
  it("raw up to 2 h, 1-minute buckets up to 36 h, 1-hour beyond", () => {
    expect(stepFor(T0 - H, T0)).toBe("raw");
    expect(stepFor(T0 - 2 * H, T0)).toBe("raw");
    expect(stepFor(T0 - 24 * H, T0)).toBe("1m");
    expect(stepFor(T0 - 7 * 24 * H, T0)).toBe("1h");
    expect(stepFor(T0 - 30 * 24 * H, T0)).toBe("1h");
  });

  it("a preset ends now and follows it; a custom range in the past does not", () => {
    expect(window({ kind: "preset", preset: "1h" }, T0)).toEqual({ from: T0 - H, to: T0 });
    expect(followsNow({ kind: "preset", preset: "7d" }, T0)).toBe(true);
    expect(followsNow({ kind: "custom", from: T0 - 3 * H, to: T0 - 2 * H }, T0)).toBe(false);
  });
});

describe("gaps are gaps", () => {
  it("a missing bucket becomes a null point, never a line across it", () => {
    const bucket = (s: number, v: number): Bucket => ({ ts: at(s), min: v - 1, max: v + 1, avg: v, last: v, count: 60 });
    const series = bucketSeries([bucket(0, 1), bucket(60, 2), bucket(240, 3)], 60);
    expect(series.value).toEqual([1, 2, null, 3]);
    expect(series.min).toEqual([0, 1, null, 2]);
    expect(series.gaps).toBe(1);
    expect(series.points).toBe(3);
  });

  it("a raw silence longer than the point's gap threshold is cut; booleans read 0/1", () => {
    const readings = [
      { ts: at(0), value: 1, seq: 1 },
      { ts: at(1), value: true, seq: 2 },
      { ts: at(60), value: 3, seq: 3 },
    ];
    expect(rawSeries(readings, 5).value).toEqual([1, 1, null, 3]);
    expect(rawSeries(readings, null).value).toEqual([1, 1, 3]); // silence is normal for it
  });
});

describe("live values", () => {
  it("append when newer than the last point, with the band closed on them", () => {
    const series = bucketSeries([{ ts: at(0), min: 1, max: 3, avg: 2, last: 2, count: 2 }], 60);
    expect(appendLive(series, at(70), 5)).toBe(true);
    expect(appendLive(series, at(10), 6)).toBe(false);
    expect(series.value).toEqual([2, 5]);
    expect(series.max).toEqual([3, 5]);
  });
});

describe("binary event lists", () => {
  it("list changes newest first in the sensor's words, repeats dropped", () => {
    const readings = [
      { ts: at(0), value: false, seq: 1 },
      { ts: at(5), value: true, seq: 2 },
      { ts: at(6), value: true, seq: 3 },
      { ts: at(9), value: false, seq: 4 },
    ];
    const words = binaryWords({ kind: "digital", device_class: "door", settable: false });
    expect(binaryEvents(readings, words).map((e) => e.text)).toEqual(["closed", "opened", "closed"]);
  });
});

describe("coverage", () => {
  it("says complete, or how many readings are missing", () => {
    expect(coverageText({ recorded: 12345, missing: [] })).toBe("complete: 12,345 readings recorded, none missing");
    expect(
      coverageText({
        recorded: 10,
        missing: [
          { from_seq: 3, to_seq: 5, reason: "requested" },
          { from_seq: 9, to_seq: 9, reason: "unavailable" },
        ],
      }),
    ).toBe("4 readings missing (3 asked for again)");
  });
});
