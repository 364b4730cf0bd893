/**
 * The devnet's KMS client: the local KMS server, reached with the same bounds as the functions' AWS
 * clients, so a server that stops answering (paused, wedged) fails a signature — the step is retried —
 * instead of hanging the step, the API's cancel or `payrox keys rotate` for good.
 */
import type { KMSClient } from "@aws-sdk/client-kms";
import { boundedClientConfig, type AwsClientBounds } from "@payrox/aws";
import { LOCAL_CREDENTIALS } from "@payrox/aws/testing";
import { createKmsClient } from "@payrox/chain";

/** A KMS client of the local KMS server at `endpoint`, bounded by `bounds` (each field defaulting to `AWS_CLIENT_BOUNDS`). */
export function devnetKmsClient(endpoint: string, region: string, bounds: Partial<AwsClientBounds> = {}): KMSClient {
  return createKmsClient({ endpoint, region, credentials: LOCAL_CREDENTIALS, ...boundedClientConfig(bounds) });
}
