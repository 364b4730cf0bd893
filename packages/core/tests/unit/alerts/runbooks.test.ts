import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AlertType, DEFAULT_RUNBOOK_BASE_URL, raise, resolve, runbookUrl, runIncidentKey, type Alert } from "../../../src/index.js";
import { inMemoryPorts } from "../../support/in-memory-ports.js";

const RUNBOOKS = readFileSync(new URL("../../../RUNBOOKS.md", import.meta.url), "utf8");

/** The text of the section under `<a id="<type>"></a>`, up to the next anchor or `## ` heading after its own. */
function section(type: string): string | undefined {
  const start = RUNBOOKS.indexOf(`<a id="${type}"></a>`);
  if (start < 0) return undefined;
  const rest = RUNBOOKS.slice(start);
  const headingAt = rest.indexOf("\n## ");
  const next = rest.slice(headingAt + 4).search(/\n<a id=|\n## /);
  return next < 0 ? rest : rest.slice(0, headingAt + 4 + next);
}

describe("RUNBOOKS.md", () => {
  it.each(Object.values(AlertType))("has a section anchored #%s with what it means, what to check and a command that fixes it", (type) => {
    // Act
    const text = section(type);
    // Assess
    expect(text, `no <a id="${type}"></a> in RUNBOOKS.md`).toBeDefined();
    expect(text).toMatch(new RegExp(`^<a id="${type}"></a>\\n\\n## \`${type}\``));
    for (const part of ["**Means**", "**Check**", "**Fix**"]) expect(text, `${type} lacks ${part}`).toContain(part);
    expect(text, `${type}'s fix names no command`).toMatch(/\*\*Fix\*\*[\s\S]*`[^`]+`/);
  });

  it("has no anchor for a type that does not exist", () => {
    const anchors = [...RUNBOOKS.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]);
    expect(anchors.sort()).toEqual(Object.values(AlertType).sort());
  });
});

describe("runbookUrl", () => {
  it("defaults to the repository path and replaces a fragment already on the base", () => {
    expect(runbookUrl("drift")).toBe(`${DEFAULT_RUNBOOK_BASE_URL}#drift`);
    expect(runbookUrl("drift", "https://x.example/RUNBOOKS.md#top")).toBe("https://x.example/RUNBOOKS.md#drift");
  });
});

describe("raise / resolve", () => {
  it.each(Object.values(AlertType))("puts the %s runbook link on the raised alert and on its resolution", async (type) => {
    // Prepare
    const delivered: Alert[] = [];
    const { deps } = inMemoryPorts();
    const d = deps({ alerts: { raise: async (a) => void delivered.push(a) }, options: { runbookBaseUrl: "https://git.example/payrox/RUNBOOKS.md" } });
    const draft = { type, severity: "warning" as const, dedupeKey: runIncidentKey(type, "p1", "base"), message: "m" };
    // Act
    await raise(d, draft);
    await resolve(d, draft);
    // Assess
    expect(delivered.map((a) => a.runbook)).toEqual([`https://git.example/payrox/RUNBOOKS.md#${type}`, `https://git.example/payrox/RUNBOOKS.md#${type}`]);
  });
});
