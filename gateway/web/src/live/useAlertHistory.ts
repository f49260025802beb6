/**
 * One device's alerts for its chart marks: the live active ones (from the stream) and the recent
 * transitions of `GET /api/alerts`, fetched again whenever the device's active alerts change (one
 * fired, cleared or was acknowledged), so a span closes as soon as its alert resolves.
 */
import { useEffect, useMemo, useState } from "react";

import { alertKey, type Alert } from "../api/alerts";
import { getAlerts } from "../api/client";

export function useAlertHistory(device: string, active: Readonly<Record<string, Alert>>, available: boolean): Alert[] {
  const mine = useMemo(() => Object.values(active).filter((alert) => alert.device === device), [active, device]);
  // What a refetch depends on: which of the device's alerts are active, in which state, since when.
  const signature = mine.map((alert) => `${alertKey(alert)}:${alert.state}:${alert.ts}`).sort().join("|");
  const [recent, setRecent] = useState<Alert[]>([]);
  useEffect(() => {
    if (!available) return;
    const abort = new AbortController();
    getAlerts(abort.signal).then(
      (list) => {
        setRecent(list.recent.filter((alert) => alert.device === device));
      },
      () => {
        // No marks from the past when the list cannot be had; the live ones still show.
      },
    );
    return () => {
      abort.abort();
    };
  }, [device, signature, available]);
  return useMemo(() => [...mine, ...recent], [mine, recent]);
}
