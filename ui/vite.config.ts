/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The Tauri window loads the built files from ui/dist (tauri.conf.json `frontendDist`).
export default defineConfig({
  plugins: [react()],
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // WebKitGTK 2.40+ on Debian 12: safe modern target.
    target: "es2021",
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test-setup.ts"],
    // After-each hooks run in the order they were registered: Testing Library's unmount
    // (registered when a test file imports it) before the file's own clearMocks(), so a
    // component's clean-up (unlistening Tauri events) still finds the mocks it used.
    sequence: { hooks: "list" },
  },
});
