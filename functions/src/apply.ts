/** Lambda of the apply step: the shared step handler under its own function name (see step.ts). */
export { handler } from "./step.js";
