/**
 * One dispatched Server-Sent Event.
 * `event` is absent for the default type ("message"); `id` is the stream's last event ID at dispatch
 * time (it carries over to later events, as EventSource's lastEventId does); `retry` is present when
 * the event's block carried a valid `retry` field.
 */
export interface SseEvent {
  event?: string;
  data: string;
  id?: string;
  retry?: number;
}
