/**
 * The dashboard's addresses, in one place. They live in the URL's fragment (`#/devices/sim-pi`):
 * a fragment never reaches the server, so a bookmark works at `/` and behind a proxy's sub-path
 * (`/pigw/#/devices/sim-pi`) with no fallback route on the gateway and no base path to configure,
 * and the relative asset and API paths (vite.config.ts) stay right on every page. Why wouter
 * reads it: docs/dashboard.md ("Routes").
 */
export const FLEET = "/";
export const DEVICE = "/devices/:id";
export const ALERTS = "/alerts";
export const AUDIT = "/audit";

export function devicePath(id: string): string {
  return `/devices/${encodeURIComponent(id)}`;
}
