/**
 * The devnet's KMS client (issue 13, defect 6: every AWS SDK client bounded). The PayRox process of the
 * devnet, `payrox keys rotate` and the services' deployment sign through the local KMS server; a server
 * that stops answering (paused, wedged) must fail the call — the step is retried — instead of hanging it.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { GetPublicKeyCommand } from "@aws-sdk/client-kms";
import { AWS_CLIENT_BOUNDS } from "@payrox/aws";
import { afterEach, describe, expect, it } from "vitest";
import { devnetKmsClient } from "../src/devnet/kms-client.js";

let silent: Server | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
  silent = undefined;
});

/** An endpoint that accepts every connection and never answers; `connections()` counts them. */
async function silentEndpoint(): Promise<{ url: string; connections: () => number }> {
  let count = 0;
  silent = createServer((socket) => {
    count++;
    sockets.push(socket);
  });
  await new Promise<void>((resolve) => silent!.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, connections: () => count };
}

describe("devnetKmsClient", () => {
  it("gives up with a TimeoutError after its bounded attempts when the KMS server never answers", async () => {
    // Prepare
    const { url, connections } = await silentEndpoint();
    const client = devnetKmsClient(url, "us-east-1", { connectionTimeoutMs: 500, requestTimeoutMs: 300, maxAttempts: 2 });
    // Act
    const error = await client.send(new GetPublicKeyCommand({ KeyId: "alias/x" })).catch((e: unknown) => e);
    client.destroy();
    // Assess: one connection per attempt, each cut by its request timeout
    expect(error).toMatchObject({ name: "TimeoutError" });
    expect(connections()).toBe(2);
  });

  it("uses the functions' AWS client bounds by default", async () => {
    // Act
    const client = devnetKmsClient("http://127.0.0.1:1", "us-east-1");
    const maxAttempts = await client.config.maxAttempts();
    client.destroy();
    // Assess
    expect(maxAttempts).toBe(AWS_CLIENT_BOUNDS.maxAttempts);
  });
});
