/**
 * What the dashboard marks about alerts: the header's count of firing alerts, and the spans a
 * point's chart shades where an alert fired and cleared. Pure: the stream's active alerts and
 * `GET /api/alerts` recent transitions go in, numbers come out.
 */
import { alertKey, type Alert, type Severity } from "../api/alerts";

/** Firing alerts only (pending ones have not fired yet; the header's badge counts these). */
export function firingCount(alerts: Readonly<Record<string, Alert>>): number {
  let count = 0;
  for (const alert of Object.values(alerts)) if (alert.state === "firing") count += 1;
  return count;
}

/** Where one alert fired (`from`, ms) and cleared (`to`, ms; `null` while it still fires). */
export interface AlertSpan {
  rule: string;
  severity: Severity;
  from: number;
  to: number | null;
}

/**
 * The fired–cleared spans of one device's point (or of the device, `point` null, for `offline`),
 * oldest first. One episode is one (rule, device, point, since): its `firing` transition starts
 * the span, its `resolved` one ends it; a resolved one whose firing fell out of the recent list
 * starts at `since`. Pending alerts never fired and draw nothing. Duplicates (an alert both in
 * the live list and in recent) count once.
 */
export function alertSpans(alerts: readonly Alert[], device: string, point: string | null): AlertSpan[] {
  const episodes = new Map<string, { rule: string; severity: Severity; fired: number | null; cleared: number | null; since: number }>();
  for (const alert of alerts) {
    if (alert.device !== device || alert.point !== point || alert.state === "pending") continue;
    const since = Date.parse(alert.since);
    const ts = Date.parse(alert.ts);
    if (Number.isNaN(since) || Number.isNaN(ts)) continue;
    const key = `${alertKey(alert)}@${alert.since}`;
    const episode = episodes.get(key) ?? { rule: alert.rule, severity: alert.severity, fired: null, cleared: null, since };
    if (alert.state === "firing") episode.fired = episode.fired === null ? ts : Math.min(episode.fired, ts);
    else episode.cleared = ts;
    episodes.set(key, episode);
  }
  return [...episodes.values()]
    .map((e) => ({ rule: e.rule, severity: e.severity, from: e.fired ?? e.since, to: e.cleared }))
    .sort((a, b) => a.from - b.from);
}

/** The spans that overlap the window [from, to] (ms), clipped to it; an open span runs to `to`. */
export function spansInWindow(spans: readonly AlertSpan[], from: number, to: number): { from: number; to: number; span: AlertSpan }[] {
  return spans
    .filter((span) => span.from <= to && (span.to === null || span.to >= from))
    .map((span) => ({ from: Math.max(span.from, from), to: Math.min(span.to ?? to, to), span }));
}
