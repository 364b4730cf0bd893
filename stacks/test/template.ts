/** Reading synthesised templates in assertions: intrinsic functions flattened to readable strings, IAM by role. */
import type { Template } from "aws-cdk-lib/assertions";

/** One IAM statement as CloudFormation holds it. */
export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/**
 * A value with its intrinsics written out: `Ref AWS::Partition` → `aws`, `Fn::Join` joined,
 * `Fn::ImportValue` → `import(<export>)`, `Fn::GetAtt` → `<logicalId>.<attr>`, other `Ref` → `ref(<id>)`.
 */
export function flat(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(flat).join(",");
  const v = value as Record<string, unknown>;
  if ("Ref" in v) return v.Ref === "AWS::Partition" ? "aws" : `ref(${String(v.Ref)})`;
  if ("Fn::Join" in v) {
    const [separator, parts] = v["Fn::Join"] as [string, unknown[]];
    return parts.map(flat).join(separator);
  }
  if ("Fn::ImportValue" in v) return `import(${flat(v["Fn::ImportValue"])})`;
  if ("Fn::GetAtt" in v) return (v["Fn::GetAtt"] as string[]).join(".");
  return JSON.stringify(value);
}

/** A list of one or more (`Action`, `Resource`). */
export function list(value: unknown): unknown[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** The resources of one type: logical id → properties. */
export function resourcesOf(template: Template, type: string): Record<string, Record<string, any>> {
  return Object.fromEntries(Object.entries(template.findResources(type)).map(([id, r]) => [id, (r as { Properties: Record<string, any> }).Properties ?? {}]));
}

/** Every statement of the role named `roleName`: inline policies and the `AWS::IAM::Policy`s attached to it. */
export function roleStatements(template: Template, roleName: string): Statement[] {
  const roles = resourcesOf(template, "AWS::IAM::Role");
  const entry = Object.entries(roles).find(([, p]) => p.RoleName === roleName);
  if (!entry) throw new Error(`no role ${roleName} in the template (roles: ${Object.values(roles).map((p) => p.RoleName).join(", ")})`);
  const [logicalId, role] = entry;
  const inline = list(role.Policies).flatMap((p: any) => p.PolicyDocument.Statement as Statement[]);
  const attached = Object.values(resourcesOf(template, "AWS::IAM::Policy"))
    .filter((p) => list(p.Roles).some((r) => flat(r) === `ref(${logicalId})`))
    .flatMap((p) => p.PolicyDocument.Statement as Statement[]);
  return [...inline, ...attached];
}

/** Allow statements granting `action` (exact, or matched by a wildcard action). */
export function grants(statements: Statement[], action: string): Statement[] {
  return statements.filter((s) => s.Effect === "Allow" && list(s.Action).some((a) => a === action || new RegExp(`^${String(a).replace(/\*/g, ".*")}$`).test(action)));
}

/** The flattened resources of statements. */
export function resourceStrings(statements: Statement[]): string[] {
  return statements.flatMap((s) => list(s.Resource).map(flat));
}
