/** Reads SSM parameters (SecureStrings decrypted): how a Lambda gets the secrets its stack binds. */
import { GetParametersCommand, SSMClient, type SSMClientConfig } from "@aws-sdk/client-ssm";
import { ParameterRequestError } from "../errors.js";

/** GetParameters accepts at most 10 names per call. */
const MAX_NAMES_PER_CALL = 10;

/**
 * Reads the named parameters, 10 per call.
 * @returns the value of every parameter that exists; absent names are simply missing from the map
 * @throws ParameterRequestError when SSM refuses a call
 * @example const values = await readSsmParameters(new SSMClient({}), ["/sst/payrox/prod/Secret/X/value"])
 */
export async function readSsmParameters(client: SSMClient, names: readonly string[]): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (let start = 0; start < names.length; start += MAX_NAMES_PER_CALL) {
    const chunk = names.slice(start, start + MAX_NAMES_PER_CALL);
    try {
      const result = await client.send(new GetParametersCommand({ Names: chunk, WithDecryption: true }));
      for (const parameter of result.Parameters ?? []) {
        if (parameter.Name !== undefined && parameter.Value !== undefined) values.set(parameter.Name, parameter.Value);
      }
    } catch (error) {
      throw new ParameterRequestError(chunk, (error as Error | undefined)?.name, { cause: error });
    }
  }
  return values;
}

/**
 * An SSM client (built here so a caller that loads this module with `import()` needs no SSM SDK of its
 * own: a dynamically imported SDK package can't be tree-shaken, this module's named import can).
 */
export function createSsmClient(config: SSMClientConfig = {}): SSMClient {
  return new SSMClient(config);
}
