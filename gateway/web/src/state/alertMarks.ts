/**
 * What the dashboard marks about alerts: the header's count of firing alerts, and the spans a
 * point's chart shades where an alert fired and cleared. Pure: the stream's active alerts and
 * `GET /api/alerts` recent transitions go in, numbers come out.
 */
import type { Alert, Severity } from "../api/alerts";

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
 * oldest first. Per rule, the transitions are walked in time order: a `firing` one opens a span
 * (a second firing while it is open — the same alert from the stream and from recent, or its
 * acknowledgement — changes nothing), a `resolved` one closes it; a resolved one without an open
 * span (its firing fell out of the recent list) starts at `since`. Pending alerts never fired and
 * draw nothing. Times are compared parsed, so the stream's and the store's spellings agree.
 */
export function alertSpans(alerts: readonly Alert[], device: string, point: string | null): AlertSpan[] {
  const byRule = new Map<string, { alert: Alert; ts: number; since: number }[]>();
  for (const alert of alerts) {
    if (alert.device !== device || alert.point !== point || alert.state === "pending") continue;
    const ts = Date.parse(alert.ts);
    if (Number.isNaN(ts)) continue;
    const since = Date.parse(alert.since);
    const list = byRule.get(alert.rule) ?? [];
    list.push({ alert, ts, since: Number.isNaN(since) ? ts : since });
    byRule.set(alert.rule, list);
  }
  const spans: AlertSpan[] = [];
  for (const [rule, list] of byRule) {
    list.sort((a, b) => a.ts - b.ts || (a.alert.state === b.alert.state ? 0 : a.alert.state === "firing" ? -1 : 1));
    let open: AlertSpan | null = null;
    for (const { alert, ts, since } of list) {
      if (alert.state === "firing") {
        if (open === null) {
          open = { rule, severity: alert.severity, from: ts, to: null };
          spans.push(open);
        }
      } else if (open !== null) {
        open.to = Math.max(ts, open.from);
        open = null;
      } else if (!spans.some((span) => span.rule === rule && span.to === ts)) {
        spans.push({ rule, severity: alert.severity, from: Math.min(since, ts), to: ts });
      }
    }
  }
  return spans.sort((a, b) => a.from - b.from);
}

/** The spans that overlap the window [from, to] (ms), clipped to it; an open span runs to `to`. */
export function spansInWindow(spans: readonly AlertSpan[], from: number, to: number): { from: number; to: number; span: AlertSpan }[] {
  return spans
    .filter((span) => span.from <= to && (span.to === null || span.to >= from))
    .map((span) => ({ from: Math.max(span.from, from), to: Math.min(span.to ?? to, to), span }));
}
