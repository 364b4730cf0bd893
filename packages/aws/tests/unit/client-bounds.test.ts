import { DynamoDBServiceException, InternalServerError, ProvisionedThroughputExceededException } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { AWS_CLIENT_BOUNDS, boundedClientConfig, DynamoRequestError, isServiceUnavailable } from "../../src/index.js";

const metadata = { $metadata: {} };

describe("boundedClientConfig", () => {
  it("sets the SDK handler's timeouts (throwing, not only warning) and the attempts, defaulting each field", () => {
    // Act
    const defaults = boundedClientConfig();
    const custom = boundedClientConfig({ requestTimeoutMs: 250 });
    // Assess
    expect(defaults).toEqual({ maxAttempts: AWS_CLIENT_BOUNDS.maxAttempts, requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true } });
    expect(custom.requestHandler).toEqual({ connectionTimeout: 1_000, requestTimeout: 250, throwOnRequestTimeout: true });
  });
});

describe("isServiceUnavailable", () => {
  it("recognises timeouts, refused or reset connections, throttling and server faults, also under a DynamoRequestError", () => {
    // Prepare
    const timeout = Object.assign(new Error("a request has exceeded the configured 2000 ms requestTimeout"), { name: "TimeoutError", code: "ETIMEDOUT" });
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    const throttled = new ProvisionedThroughputExceededException({ message: "slow down", ...metadata });
    const serverFault = new InternalServerError({ message: "boom", ...metadata });
    // Act + Assess
    for (const cause of [timeout, refused, throttled, serverFault]) {
      expect(isServiceUnavailable(cause)).toBe(true);
      expect(isServiceUnavailable(new DynamoRequestError("GetItem", "t", cause.name, { cause }))).toBe(true);
    }
  });

  it("does not take a client fault or an unexpected error for unavailability", () => {
    // Prepare
    const validation = new DynamoDBServiceException({ name: "ValidationException", $fault: "client", message: "key too large", ...metadata });
    // Act + Assess
    expect(isServiceUnavailable(validation)).toBe(false);
    expect(isServiceUnavailable(new DynamoRequestError("GetItem", "t", "ValidationException", { cause: validation }))).toBe(false);
    expect(isServiceUnavailable(new RangeError("Maximum call stack size exceeded"))).toBe(false);
    expect(isServiceUnavailable(undefined)).toBe(false);
  });
});
