/** Vitest global setup: the CLI tests run the real bin, so compile it from the current sources first. */
import { buildBin } from "../scripts/build-bin.js";

export default async function setup(): Promise<void> {
  await buildBin();
}
