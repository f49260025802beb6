/**
 * One point's history as a uPlot chart (canvas; why uPlot: docs/dashboard.md "Charts"): the value
 * line (a bucket's average), the min–max band when the answer is bucketed, gaps as gaps (`null`
 * points; uPlot's `spanGaps` stays off), live readings appended while the range ends at "now",
 * drag-to-zoom, which hands the selected window to the page (it fetches that window at the
 * finer step instead of stretching the coarse one), and shaded spans where an alert of the point
 * fired and cleared (a `draw` hook paints them over the plot, a line at each end).
 *
 * uPlot draws outside React: the chart is created once per mount and fed with `setData`.
 */
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

import type { Value } from "../api/types";
import { spansInWindow, type AlertSpan } from "../state/alertMarks";
import { formatValue } from "../state/format";
import { appendLive, type Series } from "../state/series";

const HEIGHT = 180;

export interface LiveValue {
  seq: number | null;
  ts: string | null;
  value: Value | null;
}

interface Props {
  series: Series;
  /** The window shown (ms); the x axis spans it even where there is no data. */
  from: number;
  to: number;
  /** Live readings append (and the window slides) only while the range ends at "now". */
  follow: boolean;
  live: LiveValue | undefined;
  label: string;
  unit: string | null;
  /** Where this point's alerts fired and cleared (state/alertMarks.ts). */
  alerts?: readonly AlertSpan[];
  onZoom: (from: number, to: number) => void;
}

const NO_SPANS: readonly AlertSpan[] = [];

/** Paints the alert spans of the window over the plot: a translucent band, a line at each end. */
function drawSpans(u: uPlot, spans: readonly AlertSpan[], from: number, to: number, colour: string): void {
  const shown = spansInWindow(spans, from, to);
  if (shown.length === 0) return;
  const { ctx } = u;
  const { top, height } = u.bbox;
  ctx.save();
  for (const { from: start, to: end } of shown) {
    const left = u.valToPos(start / 1000, "x", true);
    const right = u.valToPos(end / 1000, "x", true);
    ctx.globalAlpha = 0.16;
    ctx.fillStyle = colour;
    ctx.fillRect(left, top, Math.max(right - left, 1), height);
    ctx.globalAlpha = 1;
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(left, top);
    ctx.lineTo(left, top + height);
    ctx.moveTo(right, top);
    ctx.lineTo(right, top + height);
    ctx.stroke();
  }
  ctx.restore();
}

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

/** An axis tick: uPlot's splits are already round numbers; only float noise is cut off (a
 * rounding formatter would print 21.55 and 21.6 both as "21.6"). */
function tick(value: number, unit: string | null): string {
  const text = String(Number(value.toFixed(6)));
  return unit ? `${text} ${unit}` : text;
}

function columns(series: Series): uPlot.AlignedData {
  return [series.x, series.value, series.min, series.max];
}

function copy(series: Series): Series {
  return { ...series, x: [...series.x], value: [...series.value], min: [...series.min], max: [...series.max] };
}

export function HistoryChart({ series, from, to, follow, live, label, unit, alerts = NO_SPANS, onZoom }: Props) {
  const boxRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const dataRef = useRef<Series>(copy(series));
  const windowRef = useRef({ from, to });
  const zoomRef = useRef(onZoom);
  const spansRef = useRef(alerts);

  useEffect(() => {
    zoomRef.current = onZoom;
  }, [onZoom]);

  // Create the chart once; size it to its box and follow the box's width.
  useEffect(() => {
    const box = boxRef.current;
    if (box === null) return;
    const accent = cssVar("--spark", "#0b57d0");
    const muted = cssVar("--muted", "#4b5661");
    const grid = cssVar("--border", "#d5dbe1");
    const alarm = cssVar("--bad-solid", "#b3261e");
    const axis = { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const options: uPlot.Options = {
      width: Math.max(box.clientWidth, 200),
      height: HEIGHT,
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: false } },
      scales: {
        x: { time: true, range: () => [windowRef.current.from / 1000, windowRef.current.to / 1000] },
      },
      axes: [axis, { ...axis, size: 72, values: (_u, splits) => splits.map((v) => tick(v, unit)) }],
      series: [
        {},
        { label, stroke: accent, width: 1.5, spanGaps: false, points: { show: false } },
        { label: "min", stroke: "transparent", spanGaps: false, points: { show: false } },
        { label: "max", stroke: "transparent", spanGaps: false, points: { show: false } },
      ],
      bands: [{ series: [3, 2], fill: `color-mix(in srgb, ${accent} 22%, transparent)` }],
      hooks: {
        draw: [
          (u) => {
            drawSpans(u, spansRef.current, windowRef.current.from, windowRef.current.to, alarm);
          },
        ],
        setSelect: [
          (u) => {
            const { left, width } = u.select;
            if (width < 4) return;
            const start = u.posToVal(left, "x") * 1000;
            const end = u.posToVal(left + width, "x") * 1000;
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            zoomRef.current(Math.round(start), Math.round(end));
          },
        ],
      },
    };
    const plot = new uPlot(options, columns(dataRef.current), box);
    plotRef.current = plot;
    const resize = new ResizeObserver(() => {
      plot.setSize({ width: Math.max(box.clientWidth, 200), height: HEIGHT });
    });
    resize.observe(box);
    return () => {
      resize.disconnect();
      plot.destroy();
      plotRef.current = null;
    };
    // The chart is built once; data, window and labels arrive through the effects below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // A new answer (a range change): draw it.
  useEffect(() => {
    dataRef.current = copy(series);
    windowRef.current = { from, to };
    plotRef.current?.setData(columns(dataRef.current));
    mark(boxRef.current, dataRef.current, label, unit, spansRef.current, windowRef.current);
  }, [series, from, to, label, unit]);

  // Alert spans changed (one fired or cleared): repaint, the data stays.
  useEffect(() => {
    spansRef.current = alerts;
    plotRef.current?.redraw(false, false);
    mark(boxRef.current, dataRef.current, label, unit, alerts, windowRef.current);
    // label and unit are drawn by the effect above; this one follows the spans only.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [alerts]);

  // A live value: append it and slide the window, while the range ends at "now".
  const liveSeq = live?.seq ?? null;
  useEffect(() => {
    if (!follow || live === undefined || live.ts === null || live.value === null) return;
    if (!appendLive(dataRef.current, live.ts, live.value)) return;
    const span = windowRef.current.to - windowRef.current.from;
    const end = Math.max(Date.now(), Date.parse(live.ts));
    windowRef.current = { from: end - span, to: end };
    plotRef.current?.setData(columns(dataRef.current));
    mark(boxRef.current, dataRef.current, label, unit, spansRef.current, windowRef.current);
    // `live` is read through its seq: a new object with the same reading draws nothing new.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [liveSeq, follow]);

  return <div ref={boxRef} className="chart" data-chart="" role="img" aria-label={`${label}: loading`} />;
}

/** What the browser tests and screen readers can read off a canvas (the CSV link beside it has
 * every value). */
function mark(
  box: HTMLDivElement | null,
  series: Series,
  label: string,
  unit: string | null,
  spans: readonly AlertSpan[],
  window: { from: number; to: number },
): void {
  if (box === null) return;
  const alerted = spansInWindow(spans, window.from, window.to).length;
  box.dataset.alertSpans = String(alerted);
  box.dataset.points = String(series.points);
  box.dataset.gaps = String(series.gaps);
  box.dataset.bucketed = String(series.bucketed);
  const values = series.value.filter((v) => v !== null);
  const what = series.bucketed ? "buckets" : "readings";
  const gaps = series.gaps > 0 ? `, ${series.gaps} gap${series.gaps === 1 ? "" : "s"}` : "";
  const marked = alerted > 0 ? `, ${alerted} alert${alerted === 1 ? "" : "s"} marked` : "";
  box.setAttribute(
    "aria-label",
    values.length === 0
      ? `${label}: no readings in this range`
      : `${label}: ${series.points} ${what} from ${formatValue(Math.min(...values), unit)} to ${formatValue(Math.max(...values), unit)}${gaps}${marked}`,
  );
}
