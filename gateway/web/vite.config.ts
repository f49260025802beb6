import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// `base: "./"` makes every asset URL relative, so the same build works at `/` and behind a reverse
// proxy that mounts the gateway under a sub-path (e.g. `https://host/pigw/`). The app's API calls
// are relative for the same reason (see src/api/paths.ts).
export default defineConfig({
  base: "./",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    // `npm run dev` talks to a gateway on its default port.
    proxy: {
      "/api": { target: "http://127.0.0.1:8000", ws: true },
      "/readyz": "http://127.0.0.1:8000",
    },
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});
