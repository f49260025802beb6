/** How values, times and outcomes are written on the page. Pure; tested in format.test.ts. */
import type { PointMeta, Value } from "../api/types";

/**
 * Intl formatters, made once per set of options: building one costs far more than using it
 * (a fleet page formats thousands of values a second; bench/dashboard/).
 */
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();

function numberFormat(digits: number): Intl.NumberFormat {
  const key = `n${digits}`;
  let format = formatters.get(key) as Intl.NumberFormat | undefined;
  if (format === undefined) {
    format = new Intl.NumberFormat("en", { maximumFractionDigits: digits });
    formatters.set(key, format);
  }
  return format;
}

function dateFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `d${locale}${JSON.stringify(options)}`;
  let format = formatters.get(key) as Intl.DateTimeFormat | undefined;
  if (format === undefined) {
    format = new Intl.DateTimeFormat(locale, options);
    formatters.set(key, format);
  }
  return format;
}

/** A number with as many decimals as its size deserves (21.37 °C, 0.532 V, 1,024 MB). */
export function formatNumber(value: number): string {
  const size = Math.abs(value);
  const digits = size >= 100 ? 0 : size >= 10 ? 1 : size >= 1 ? 2 : 3;
  return numberFormat(digits).format(value);
}

/** A reading as shown: digital values as on/off, numbers with their unit. */
export function formatValue(value: Value | null, unit: string | null | undefined): string {
  if (value === null) return "—";
  if (typeof value === "boolean") return value ? "on" : "off";
  const number = formatNumber(value);
  return unit ? `${number} ${unit}` : number;
}

/** A PWM duty cycle in [0, 1] as a percentage. */
export function formatDuty(value: number): string {
  return `${Math.round(value * 100)} %`;
}

/** "just now", "12 s ago", "3 min ago", "2 h ago", "4 d ago"; "never" without a time. */
export function formatAgo(iso: string | null | undefined, now: number): string {
  if (!iso) return "never";
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "unknown";
  const seconds = Math.floor((now - then) / 1000);
  // A device clock slightly ahead of the browser's would say "in 2 s": it means "now".
  if (seconds < 5) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** A timestamp for a tooltip: the local date and time to the second. */
export function formatTimestamp(iso: string | null | undefined): string {
  if (!iso) return "";
  const then = new Date(iso);
  return Number.isNaN(then.getTime()) ? iso : then.toLocaleString();
}

/** The name a person reads: the meta's `name` when the agent gave one, else the id. */
export function pointLabel(id: string, meta: PointMeta | undefined): string {
  return meta?.name ?? id;
}

/** Why the gateway did not carry out a command, from its HTTP status and `detail`. */
export function describeCommandFailure(status: number, detail: string | null): string {
  const reasons: Record<number, string> = {
    401: "you are not logged in",
    403: "your token has no operator role",
    404: "the gateway does not know this actuator",
    409: "the device is offline",
    413: "the request was too large",
    422: "the value was refused",
    504: "no acknowledgement from the device in time",
  };
  const reason = reasons[status] ?? `the gateway answered ${status}`;
  return detail && status !== 401 && status !== 403 ? `${reason} (${detail})` : reason;
}

/**
 * The points of a sparkline as an SVG `points` attribute: oldest at the left, the value range
 * scaled to the height (a flat line in the middle when every value is the same).
 */
export function sparklinePoints(values: readonly number[], width: number, height: number): string {
  if (values.length === 0) return "";
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values
    .map((value, i) => {
      const x = values.length > 1 ? i * step : width / 2;
      const y = span === 0 ? height / 2 : height - ((value - min) / span) * height;
      return `${round(x)},${round(y)}`;
    })
    .join(" ");
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** A span of time in the largest unit that fits: "40 s", "3 min", "2 h 5 min", "4 d". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d`;
}

/** A wall-clock time, 24-hour: "01:42" (with seconds: "01:42:07"); the date too when it is not
 * the same day as `now`. `timeZone` is for tests; the page uses the browser's. */
export function formatClock(
  ms: number,
  now: number,
  { seconds = false, timeZone }: { seconds?: boolean; timeZone?: string } = {},
): string {
  const time = dateFormat("en-GB", {
    hour: "2-digit",
    minute: "2-digit",
    ...(seconds ? { second: "2-digit" } : {}),
    hour12: false,
    timeZone,
  }).format(ms);
  const days = dateFormat("en-CA", { timeZone });
  if (days.format(ms) === days.format(now)) return time;
  const date = dateFormat("en-GB", { day: "numeric", month: "short", timeZone }).format(ms);
  return `${date} ${time}`;
}

/** "offline since 01:42 (3 min)": when trouble started and for how long. */
export function formatSince(what: string, since: number | null, now: number, timeZone?: string): string {
  if (since === null || Number.isNaN(since)) return what;
  return `${what} since ${formatClock(since, now, { timeZone })} (${formatDuration(now - since)})`;
}

/** How a binary input reads in the user's terms, by its `device_class` or kind. */
export interface BinaryWords {
  on: string;
  off: string;
  /** The event verbs of the event list: "opened 14:02", "closed 14:05". */
  rose: string;
  fell: string;
}

const OPENING: BinaryWords = { on: "Open", off: "Closed", rose: "opened", fell: "closed" };
const DETECTION: BinaryWords = { on: "Detected", off: "Clear", rose: "detected", fell: "cleared" };
const PLAIN: BinaryWords = { on: "on", off: "off", rose: "on", fell: "off" };
const BY_CLASS: Readonly<Record<string, BinaryWords>> = {
  door: OPENING,
  window: OPENING,
  garage_door: OPENING,
  opening: OPENING,
  motion: DETECTION,
  occupancy: DETECTION,
  presence: DETECTION,
};

export function binaryWords(meta: PointMeta | undefined): BinaryWords {
  const byClass = meta?.device_class ? BY_CLASS[meta.device_class] : undefined;
  if (byClass) return byClass;
  return meta?.kind === "motion" ? DETECTION : PLAIN;
}

/** A point's value as the page shows it: a binary input in its own words, else `formatValue`. */
export function formatPointValue(
  value: Value | null,
  unit: string | null | undefined,
  meta: PointMeta | undefined,
): string {
  if (typeof value === "boolean") {
    const words = binaryWords(meta);
    return value ? words.on : words.off;
  }
  return formatValue(value, unit);
}
