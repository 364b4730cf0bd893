/** Domain events and alerts on an EventBridge bus. */
export { EventBridgePublisher, DomainEventType, DEFAULT_EVENT_SOURCE, type DomainEvent, type EventBridgePublisherOptions } from "./eventbridge-publisher.js";
export { EventBridgeAlertSink } from "./alert-sink.js";
