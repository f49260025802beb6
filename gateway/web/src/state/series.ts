/**
 * What a device page's chart draws: the time range, the recorder tier to ask for, and the
 * answer turned into uPlot's columns, with gaps as `null` (never a line across a silence), the
 * min–max band of buckets, and live readings appended. Pure; tested in series.test.ts.
 */
import type { Bucket, PointHistory, RawReading, Step } from "../api/recorder";
import type { Value } from "../api/types";
import type { BinaryWords } from "./format";

export type Preset = "1h" | "24h" | "7d" | "30d";

export const PRESETS: Readonly<Record<Preset, number>> = {
  "1h": 3_600_000,
  "24h": 86_400_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
};

/** A preset ends at "now" (and follows it); a custom range is fixed. */
export type Range = { kind: "preset"; preset: Preset } | { kind: "custom"; from: number; to: number };

export const DEFAULT_RANGE: Range = { kind: "preset", preset: "24h" };

/** The window a range covers at `now` (ms). */
export function window(range: Range, now: number): { from: number; to: number } {
  return range.kind === "preset" ? { from: now - PRESETS[range.preset], to: now } : { from: range.from, to: range.to };
}

/** Whether live readings append: the range ends at "now" (a custom one within a minute of it). */
export function followsNow(range: Range, now: number): boolean {
  return range.kind === "preset" || range.to >= now - 60_000;
}

/**
 * The tier to ask for, by the span shown: raw readings up to 2 h (a 1 Hz sensor is 7,200 points,
 * under RAW_MAX_POINTS), 1-minute buckets up to 36 h (2,160), 1-hour buckets beyond (720 for
 * 30 d). One chart is then at most a few thousand points: uPlot draws that in a few ms.
 */
export function stepFor(from: number, to: number): Exclude<Step, "auto"> {
  const span = to - from;
  if (span <= 2 * 3_600_000) return "raw";
  if (span <= 36 * 3_600_000) return "1m";
  return "1h";
}

export const RAW_MAX_POINTS = 10_000;
export const BUCKET_MAX_POINTS = 2_000;

export function maxPointsFor(step: Step): number {
  return step === "raw" ? RAW_MAX_POINTS : BUCKET_MAX_POINTS;
}

const STEP_SECONDS: Readonly<Record<"1m" | "1h", number>> = { "1m": 60, "1h": 3600 };

/** uPlot's columns: x in seconds, the value (a bucket's average), and the band's min and max
 * (`null` outside buckets). A `null` value is a gap. */
export interface Series {
  x: number[];
  value: (number | null)[];
  min: (number | null)[];
  max: (number | null)[];
  /** How many gaps were cut into the line. */
  gaps: number;
  /** Real points (readings or buckets), gaps not counted. */
  points: number;
  bucketed: boolean;
}

export function emptySeries(bucketed = false): Series {
  return { x: [], value: [], min: [], max: [], gaps: 0, points: 0, bucketed };
}

function numeric(value: Value): number {
  return typeof value === "boolean" ? (value ? 1 : 0) : value;
}

function pushGap(series: Series, at: number): void {
  series.x.push(at);
  series.value.push(null);
  series.min.push(null);
  series.max.push(null);
  series.gaps++;
}

/**
 * A history answer as columns. Buckets: a missing bucket (the recorder leaves empty ones out)
 * is a gap. Raw readings: a silence longer than `gapAfterS` (2.5 × the point's expected period;
 * `null` for a point that may legitimately stay silent) is a gap.
 */
export function toSeries(history: PointHistory, gapAfterS: number | null): Series {
  if (history.step === "raw") return rawSeries(history.readings, gapAfterS);
  return bucketSeries(history.buckets, STEP_SECONDS[history.step]);
}

export function rawSeries(readings: readonly RawReading[], gapAfterS: number | null): Series {
  const series = emptySeries(false);
  let previous: number | null = null;
  for (const reading of readings) {
    const at = Date.parse(reading.ts) / 1000;
    if (Number.isNaN(at)) continue;
    if (previous !== null && gapAfterS !== null && at - previous > gapAfterS) pushGap(series, previous + gapAfterS);
    const value = numeric(reading.value);
    series.x.push(at);
    series.value.push(value);
    series.min.push(null);
    series.max.push(null);
    series.points++;
    previous = at;
  }
  return series;
}

export function bucketSeries(buckets: readonly Bucket[], stepS: number): Series {
  const series = emptySeries(true);
  let previous: number | null = null;
  for (const bucket of buckets) {
    const at = Date.parse(bucket.ts) / 1000;
    if (Number.isNaN(at)) continue;
    if (previous !== null && at - previous > stepS * 1.5) pushGap(series, previous + stepS);
    series.x.push(at);
    series.value.push(bucket.avg);
    series.min.push(bucket.min);
    series.max.push(bucket.max);
    series.points++;
    previous = at;
  }
  return series;
}

/** Append a live reading (newer than the last point) in place; false when it is not newer. */
export function appendLive(series: Series, ts: string, value: Value): boolean {
  const at = Date.parse(ts) / 1000;
  const last = series.x.length > 0 ? series.x[series.x.length - 1] : undefined;
  if (Number.isNaN(at) || (last !== undefined && at <= last)) return false;
  const y = numeric(value);
  series.x.push(at);
  series.value.push(y);
  series.min.push(series.bucketed ? y : null);
  series.max.push(series.bucketed ? y : null);
  series.points++;
  return true;
}

export interface BinaryEvent {
  ts: string;
  value: boolean;
  text: string;
}

/** A binary input's changes, newest first ("opened", "closed"): repeats of a state are not
 * events (a heartbeat republishes the same value). */
export function binaryEvents(readings: readonly RawReading[], words: BinaryWords, limit = 50): BinaryEvent[] {
  const events: BinaryEvent[] = [];
  let previous: boolean | null = null;
  for (const reading of readings) {
    if (typeof reading.value !== "boolean") continue;
    if (reading.value !== previous) {
      events.push({ ts: reading.ts, value: reading.value, text: reading.value ? words.rose : words.fell });
    }
    previous = reading.value;
  }
  return events.reverse().slice(0, limit);
}

/** "complete: 12,345 readings recorded" or "3 readings missing (2 asked for again)". */
export function coverageText(coverage: {
  recorded: number;
  missing: readonly { from_seq: number; to_seq: number; reason: string }[];
}): string {
  const count = (n: number) => new Intl.NumberFormat("en").format(n);
  const missing = coverage.missing.reduce((sum, range) => sum + (range.to_seq - range.from_seq + 1), 0);
  if (missing === 0) return `complete: ${count(coverage.recorded)} readings recorded, none missing`;
  const requested = coverage.missing
    .filter((range) => range.reason === "requested")
    .reduce((sum, range) => sum + (range.to_seq - range.from_seq + 1), 0);
  const asked = requested > 0 ? ` (${count(requested)} asked for again)` : "";
  return `${count(missing)} reading${missing === 1 ? "" : "s"} missing${asked}`;
}
