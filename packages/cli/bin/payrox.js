#!/usr/bin/env node
// Launcher of the `payrox` command: the sources are TypeScript, run through tsx.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
