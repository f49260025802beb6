import { describe, expect, it } from "vitest";

import { initialTransport } from "./useDashboard";

describe("initialTransport", () => {
  it("defaults to Server-Sent Events", () => {
    expect(initialTransport("", null)).toBe("sse");
    expect(initialTransport("", "nonsense")).toBe("sse");
  });

  it("remembers the stored choice", () => {
    expect(initialTransport("", "ws")).toBe("ws");
  });

  it("lets the URL override the stored choice", () => {
    expect(initialTransport("?transport=sse", "ws")).toBe("sse");
    expect(initialTransport("?transport=ws", null)).toBe("ws");
    expect(initialTransport("?transport=carrier-pigeon", "ws")).toBe("ws");
  });
});
