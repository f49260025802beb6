import { describe, expect, it } from "vitest";

import { backoffDelay } from "./backoff";

const OPTIONS = { baseMs: 500, capMs: 15_000 };

describe("backoffDelay", () => {
  it("grows exponentially between half and all of the ceiling", () => {
    expect(backoffDelay(0, OPTIONS, () => 0)).toBe(250);
    expect(backoffDelay(0, OPTIONS, () => 1)).toBe(500);
    expect(backoffDelay(3, OPTIONS, () => 0)).toBe(2_000);
    expect(backoffDelay(3, OPTIONS, () => 0.5)).toBe(3_000);
  });

  it("never exceeds the cap, however many attempts failed", () => {
    expect(backoffDelay(10, OPTIONS, () => 1)).toBe(15_000);
    expect(backoffDelay(10_000, OPTIONS, () => 1)).toBe(15_000);
    expect(backoffDelay(10_000, OPTIONS, () => 0)).toBe(7_500);
  });

  it("spreads clients apart", () => {
    const delays = new Set([0.1, 0.4, 0.9].map((r) => backoffDelay(4, OPTIONS, () => r)));
    expect(delays.size).toBe(3);
  });
});
