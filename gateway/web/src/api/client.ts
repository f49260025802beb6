/**
 * The gateway's REST API as typed functions. Every path is relative (no leading slash), so the
 * dashboard works at `/` and behind a reverse proxy that serves the gateway under a sub-path.
 * The session cookie (CONTRACT.md, "Auth") travels with every same-origin request by itself.
 */
import type { Alert, AlertList } from "./alerts";
import type { AuditPage, Coverage, PointHistory, Step } from "./recorder";
import type { CommandAck, DeviceList, Session, Value } from "./types";

/** A non-2xx answer: its status and the gateway's `detail` text when it sent one. */
export class HttpError extends Error {
  readonly status: number;
  readonly detail: string | null;

  constructor(status: number, detail: string | null) {
    super(detail ? `HTTP ${status}: ${detail}` : `HTTP ${status}`);
    this.name = "HttpError";
    this.status = status;
    this.detail = detail;
  }
}

async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  headers.set("Accept", "application/json");
  const response = await fetch(path, { credentials: "same-origin", ...init, headers });
  if (!response.ok) throw new HttpError(response.status, await detailOf(response));
  const text = await response.text();
  return (text ? JSON.parse(text) : null) as T;
}

/** FastAPI's `{"detail": "…"}`, or the first message of a validation error list. */
async function detailOf(response: Response): Promise<string | null> {
  try {
    const body: unknown = await response.json();
    if (typeof body !== "object" || body === null || !("detail" in body)) return null;
    const detail = body.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail) && detail.length > 0) {
      const first: unknown = detail[0];
      if (typeof first === "object" && first !== null && "msg" in first) return String(first.msg);
    }
    return null;
  } catch {
    return null;
  }
}

function json(method: string, body: unknown): RequestInit {
  return { method, body: JSON.stringify(body), headers: { "Content-Type": "application/json" } };
}

const segment = encodeURIComponent;

export function getDevices(): Promise<DeviceList> {
  return request<DeviceList>("api/devices");
}

export type PointRole = "sensor" | "actuator";

export interface HistoryQuery {
  from: Date;
  to: Date;
  step: Step;
  maxPoints: number;
}

/** The relative URL of one point's history (CONTRACT.md v3), as JSON or as the CSV download. */
export function historyUrl(
  device: string,
  role: PointRole,
  point: string,
  query: HistoryQuery,
  format: "json" | "csv" = "json",
): string {
  const params = new URLSearchParams({
    from: query.from.toISOString(),
    to: query.to.toISOString(),
    step: query.step,
    max_points: String(query.maxPoints),
  });
  if (format === "csv") params.set("format", "csv");
  return `api/devices/${segment(device)}/${role}s/${segment(point)}/history?${params.toString()}`;
}

export function getPointHistory(
  device: string,
  role: PointRole,
  point: string,
  query: HistoryQuery,
  signal?: AbortSignal,
): Promise<PointHistory> {
  return request<PointHistory>(historyUrl(device, role, point, query), { signal });
}

export function getCoverage(device: string, signal?: AbortSignal): Promise<Coverage> {
  return request<Coverage>(`api/devices/${segment(device)}/coverage`, { signal });
}

/** The command audit (operator role), newest first; `device` narrows it to one device. */
export function getAudit(device: string | null, limit: number, signal?: AbortSignal): Promise<AuditPage> {
  const params = new URLSearchParams({ limit: String(limit) });
  if (device !== null) params.set("device", device);
  return request<AuditPage>(`api/audit?${params.toString()}`, { signal });
}

export function getAlerts(signal?: AbortSignal): Promise<AlertList> {
  return request<AlertList>("api/alerts", { signal });
}

/** Acknowledge a firing alert (operator role). */
export async function ackAlert(alert: Pick<Alert, "rule" | "device" | "point">): Promise<void> {
  const path = [alert.rule, alert.device, ...(alert.point === null ? [] : [alert.point])]
    .map(segment)
    .join("/");
  await request<unknown>(`api/alerts/${path}/ack`, { method: "POST" });
}

/** Publishes the command and resolves with the device's ack (CONTRACT.md: 200 with the ack). */
export function sendCommand(device: string, actuator: string, value: Value): Promise<CommandAck> {
  return request<CommandAck>(
    `api/devices/${segment(device)}/actuators/${segment(actuator)}`,
    json("POST", { value }),
  );
}

/** Who this browser is to the gateway: `auth: "open"` when the gateway has no tokens. */
export function getSession(): Promise<Session> {
  return request<Session>("api/session");
}

export function logIn(token: string): Promise<Session> {
  return request<Session>("api/session", json("POST", { token }));
}

export async function logOut(): Promise<void> {
  await request<unknown>("api/session", { method: "DELETE" });
}

/** `/readyz`: true when the gateway has its broker and its retained state. */
export async function isReady(): Promise<boolean> {
  const response = await fetch("readyz", { credentials: "same-origin", cache: "no-store" });
  return response.ok;
}

/** Whether the gateway answers `/readyz` at all (any status) within `timeoutMs`: the liveness
 * probe of `live/watchdog.ts`. */
export async function gatewayAnswers(timeoutMs: number): Promise<boolean> {
  try {
    await fetch("readyz", {
      credentials: "same-origin",
      cache: "no-store",
      signal: AbortSignal.timeout(timeoutMs),
    });
    return true;
  } catch {
    return false;
  }
}
