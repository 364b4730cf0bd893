import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const hardhatConfig = fileURLToPath(new URL("./contracts/hardhat.config.cjs", import.meta.url));

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "packages",
          include: ["packages/*/tests/**/*.test.ts", "functions/tests/**/*.test.ts"],
          // The CLI tests spawn packages/cli/bin/payrox.js, which runs the compiled dist/: rebuild it.
          globalSetup: ["packages/cli/tests/global-setup.ts"],
          pool: "forks",
          // The SDK's Node 22 notice is about future SDK releases; the pinned ones run on Node 20.
          env: { HARDHAT_CONFIG: hardhatConfig, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "stacks",
          include: ["stacks/test/**/*.test.ts"],
          // CDK synthesis is CPU-heavy: one process per file, each synthesising once in beforeAll.
          pool: "forks",
          env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: "contracts",
          root: "./contracts",
          include: ["test/**/*.test.ts"],
          // Each test file gets its own process and so its own in-process Hardhat network.
          pool: "forks",
          env: { HARDHAT_CONFIG: hardhatConfig },
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
