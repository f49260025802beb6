/**
 * Which optional parts of the API this gateway has (the recorder's routes, the audit, alerts),
 * read once from its own OpenAPI document. A page then leaves out what the gateway lacks instead
 * of asking and getting a 404 (which the browser also logs as an error). Until the answer is in,
 * and if `openapi.json` cannot be read, everything counts as present: the routes' own answers
 * then decide.
 */
export interface Capabilities {
  actuatorHistory: boolean;
  coverage: boolean;
  audit: boolean;
  alerts: boolean;
}

export const ALL: Capabilities = { actuatorHistory: true, coverage: true, audit: true, alerts: true };

/** What an OpenAPI document's `paths` say the gateway serves. */
export function capabilitiesOf(paths: Readonly<Record<string, unknown>>): Capabilities {
  // Parameter names are the gateway's business ({dev} or {device}): compare the shapes only.
  const shapes = new Set(Object.keys(paths).map((path) => path.replace(/\{[^}]*\}/g, "{}")));
  const has = (path: string) => shapes.has(path);
  return {
    actuatorHistory: has("/api/devices/{}/actuators/{}/history"),
    coverage: has("/api/devices/{}/coverage"),
    audit: has("/api/audit"),
    alerts: has("/api/alerts"),
  };
}

let asked: Promise<Capabilities> | null = null;

export function getCapabilities(): Promise<Capabilities> {
  asked ??= fetch("openapi.json", { credentials: "same-origin" })
    .then(async (response) => {
      if (!response.ok) return ALL;
      const document = (await response.json()) as { paths?: Record<string, unknown> };
      return document.paths ? capabilitiesOf(document.paths) : ALL;
    })
    .catch(() => ALL);
  return asked;
}
