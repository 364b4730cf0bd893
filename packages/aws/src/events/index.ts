/** `@payrox/aws/events`: domain events and alerts on an EventBridge bus (a subpath, so importing `@payrox/aws` never loads the EventBridge SDK). */
export { EventBridgePublisher, createEventBridgeClient, DomainEventType, DEFAULT_EVENT_SOURCE, type DomainEvent, type EventBridgePublisherOptions } from "./eventbridge-publisher.js";
export { EventBridgeAlertSink } from "./alert-sink.js";
