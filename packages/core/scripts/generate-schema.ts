/** Writes schema/manifest-v2.schema.json from the zod schema (`npm run -w @payrox/core schema`). */
import { writeFileSync } from "node:fs";
import { manifestJsonSchema } from "../src/manifest/format.js";

const target = new URL("../schema/manifest-v2.schema.json", import.meta.url);
writeFileSync(target, JSON.stringify(manifestJsonSchema(), null, 2) + "\n");
console.log(`wrote ${target.pathname}`);
