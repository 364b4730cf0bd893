import { GetParametersCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { readSsmParameters } from "../../src/config/ssm-parameters.js";
import { ParameterRequestError } from "../../src/errors.js";

const ssm = mockClient(SSMClient);
afterEach(() => ssm.reset());

describe("readSsmParameters", () => {
  it("reads decrypted values 10 names per call and leaves absent names out", async () => {
    // Prepare
    const names = Array.from({ length: 12 }, (_, i) => `/p/${i}`);
    ssm.on(GetParametersCommand).callsFake(async (input: { Names: string[] }) => ({
      Parameters: input.Names.filter((n) => n !== "/p/11").map((Name) => ({ Name, Value: `v${Name}` })),
      InvalidParameters: input.Names.filter((n) => n === "/p/11"),
    }));

    // Act
    const values = await readSsmParameters(new SSMClient({}), names);

    // Assess
    const calls = ssm.commandCalls(GetParametersCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.Names?.length)).toEqual([10, 2]);
    expect(calls.every((c) => c.WithDecryption === true)).toBe(true);
    expect(values.size).toBe(11);
    expect(values.get("/p/3")).toBe("v/p/3");
    expect(values.has("/p/11")).toBe(false);
  });

  it("throws ParameterRequestError naming the parameters when SSM refuses", async () => {
    // Prepare
    ssm.on(GetParametersCommand).rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));

    // Act
    const attempt = readSsmParameters(new SSMClient({}), ["/p/a"]);

    // Assess
    await expect(attempt).rejects.toThrow(ParameterRequestError);
    await expect(attempt).rejects.toThrow(/\/p\/a.*AccessDeniedException/);
  });
});
