import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { alertId, type Alert } from "@payrox/core";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { EventPublishError } from "../../src/errors.js";
import { DomainEventType, EventBridgeAlertSink, EventBridgePublisher, type DomainEvent } from "../../src/events/index.js";

const eventBridgeMock = mockClient(EventBridgeClient);
const AT = Date.UTC(2026, 6, 1, 12, 0, 0);

function publisher(): EventBridgePublisher {
  return new EventBridgePublisher({ client: new EventBridgeClient({ region: "eu-west-1" }), eventBusName: "payrox-bus" });
}

function stepCompleted(i: number): DomainEvent {
  return { detailType: DomainEventType.STEP_COMPLETED, detail: { proposalId: "p1", network: "base", step: "apply", attempt: String(i) }, atMs: AT };
}

beforeEach(() => eventBridgeMock.reset());

describe("EventBridgePublisher", () => {
  it("puts events with source payrox, the detail-type, JSON detail and time", async () => {
    // Prepare
    eventBridgeMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e1" }] });

    // Act
    await publisher().publish([stepCompleted(1)]);

    // Assess
    expect(eventBridgeMock.commandCalls(PutEventsCommand)[0]!.args[0].input).toEqual({
      Entries: [
        {
          EventBusName: "payrox-bus",
          Source: "payrox",
          DetailType: "step.completed",
          Detail: JSON.stringify({ proposalId: "p1", network: "base", step: "apply", attempt: "1" }),
          Time: new Date(AT),
          Resources: undefined,
        },
      ],
    });
  });

  it("splits more than 10 events into calls of at most 10", async () => {
    eventBridgeMock.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })) }));

    await publisher().publish(Array.from({ length: 23 }, (_, i) => stepCompleted(i)));

    expect(eventBridgeMock.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!.length)).toEqual([10, 10, 3]);
  });

  it("throws EventPublishError naming the refused entries when FailedEntryCount > 0", async () => {
    // Prepare
    eventBridgeMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: "e0" }, { ErrorCode: "ThrottlingException", ErrorMessage: "slow down" }],
    });

    // Act
    const error = await publisher().publish([stepCompleted(0), stepCompleted(1)]).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(EventPublishError);
    expect((error as EventPublishError).failedEntries).toEqual([{ index: 1, detailType: "step.completed", errorCode: "ThrottlingException", errorMessage: "slow down" }]);
    expect((error as EventPublishError).eventBusName).toBe("payrox-bus");
  });

  it("reports every event of a call that failed as a whole, with the SDK error as cause", async () => {
    const outage = Object.assign(new Error("service unavailable"), { name: "InternalException" });
    eventBridgeMock.on(PutEventsCommand).rejects(outage);

    const error = (await publisher().publish([stepCompleted(0), stepCompleted(1)]).catch((e: unknown) => e)) as EventPublishError;

    expect(error).toBeInstanceOf(EventPublishError);
    expect(error.failedEntries.map((e) => [e.index, e.errorCode])).toEqual([[0, "InternalException"], [1, "InternalException"]]);
    expect(error.cause).toBe(outage);
  });

  it("sends nothing for no events", async () => {
    await publisher().publish([]);
    expect(eventBridgeMock.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});

describe("EventBridgeAlertSink", () => {
  const alert: Alert = {
    id: alertId("codehash-mismatch:p1:base", "raised"), dedupeKey: "codehash-mismatch:p1:base", type: "codehash-mismatch", status: "raised",
    severity: "critical", proposalId: "p1", network: "base", message: "facet code changed", evidence: { values: { facet: "0x01" } }, atMs: AT, runbook: "packages/core/RUNBOOKS.md#codehash-mismatch",
  };

  it("publishes the alert as alert.raised with the alert as detail", async () => {
    eventBridgeMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e1" }] });

    await new EventBridgeAlertSink(publisher()).raise(alert);

    const entry = eventBridgeMock.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(entry).toMatchObject({ Source: "payrox", DetailType: "alert.raised", Time: new Date(AT), EventBusName: "payrox-bus" });
    expect(JSON.parse(entry.Detail!)).toEqual(alert);
  });

  it("publishes a resolution as alert.resolved", async () => {
    eventBridgeMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e1" }] });

    await new EventBridgeAlertSink(publisher()).raise({ ...alert, status: "resolved", id: alertId(alert.dedupeKey, "resolved") });

    expect(eventBridgeMock.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.DetailType).toBe("alert.resolved");
  });

  it("fails with EventPublishError when EventBridge refuses the alert", async () => {
    eventBridgeMock.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: "InternalFailure", ErrorMessage: "x" }] });
    await expect(new EventBridgeAlertSink(publisher()).raise(alert)).rejects.toBeInstanceOf(EventPublishError);
  });
});
