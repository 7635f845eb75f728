import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// `npm run dev` proxies the API to an `omegi serve` on :8080.
export default defineConfig({
  plugins: [react()],
  server: {
    proxy: { "/api": "http://127.0.0.1:8080", "/v1": "http://127.0.0.1:8080" },
  },
  build: { outDir: "dist", assetsDir: "assets", sourcemap: false },
  test: { include: ["src/**/*.test.{ts,tsx}"] },
});
