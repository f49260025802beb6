import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

import { describe, expect, it } from "vitest";

const WEB = fileURLToPath(new URL("../..", import.meta.url));

describe("generated API types", () => {
  it("schema.ts is exactly what openapi-typescript makes of the committed openapi.json", () => {
    // openapi.json itself is checked against the live gateway app by pytest
    // (tests/dashboard/test_openapi_types.py); together they fail whenever the types drift.
    const result = spawnSync(process.execPath, ["scripts/gen-api.mjs", "--check"], {
      cwd: WEB,
      encoding: "utf8",
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    // A child Node process: seconds on a loaded machine, past Vitest's default 5 s.
  }, 30_000);
});
