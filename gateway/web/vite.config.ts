import { readFileSync } from "node:fs";

import react from "@vitejs/plugin-react";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

/** Swagger UI's files (npm `swagger-ui-dist`) copied into the build as `swagger/…`: the gateway
 * serves its `/docs` page from them, so the API docs work without internet (docs/dashboard.md). */
function swaggerUiAssets(): Plugin {
  const folder = new URL("./node_modules/swagger-ui-dist/", import.meta.url);
  return {
    name: "pigw-swagger-ui-assets",
    apply: "build",
    generateBundle() {
      for (const file of ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"]) {
        this.emitFile({ type: "asset", fileName: `swagger/${file}`, source: readFileSync(new URL(file, folder)) });
      }
    },
  };
}

// `base: "./"` makes every asset URL relative, so the same build works at `/` and behind a reverse
// proxy that mounts the gateway under a sub-path (e.g. `https://host/pigw/`). The app's API calls
// are relative for the same reason (see src/api/paths.ts).
export default defineConfig({
  base: "./",
  plugins: [react(), swaggerUiAssets()],
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
