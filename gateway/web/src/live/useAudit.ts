/** The command audit (`GET /api/audit`, operators), loaded when asked and again on `refresh`. */
import { useEffect, useState } from "react";

import { getAudit, HttpError } from "../api/client";
import type { AuditEntry } from "../api/recorder";

export type AuditState =
  | { status: "loading" }
  | { status: "none"; reason: string }
  | { status: "ok"; entries: AuditEntry[] };

const ABSENT: AuditState = { status: "none", reason: "This gateway keeps no command audit yet." };

/** `available` false (the gateway has no audit route): nothing is asked. */
export function useAudit(device: string | null, limit: number, refresh: unknown, available = true): AuditState {
  const [state, setState] = useState<AuditState>({ status: "loading" });
  useEffect(() => {
    if (!available) return;
    const abort = new AbortController();
    getAudit(device, limit, abort.signal).then(
      (page) => {
        setState({ status: "ok", entries: page.entries });
      },
      (error: unknown) => {
        if (abort.signal.aborted) return;
        const reason =
          error instanceof HttpError && error.status === 404
            ? "This gateway keeps no command audit yet."
            : error instanceof HttpError && error.status === 403
              ? "The audit needs the operator role."
              : "The audit could not be loaded.";
        setState({ status: "none", reason });
      },
    );
    return () => {
      abort.abort();
    };
  }, [device, limit, refresh, available]);
  return available ? state : ABSENT;
}
