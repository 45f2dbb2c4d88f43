"""Change events: intake, mapping and recording of deploys and configuration pushes.

Two dialects, one path (`deliveries.deliver`: the Django views of `views` on `opsdesk serve`'s
port, and the lean server `opsdesk intake`, which runs it in a thread):

- PagerDuty Change Events: `POST /v2/change/enqueue` with `routing_key` and `payload.summary`
  (required), `payload.source`, `payload.timestamp`, `payload.custom_details`, `links` [{href,
  text}]; answers 202 `{"status": "success", "message": "Change event processed"}`, errors in
  PagerDuty's `{"status", "message", "errors"}` shape; the key of an Events API v2 integration.
- Generic JSON: `POST /api/v1/integrations/change-events[/KEY]` with the same fields flat
  (`summary`, `source`, `timestamp`, `custom_details`, `links`); the key in the path, in
  `Authorization: Bearer` or `X-Opsdesk-Key` (alerts.intake.deliveries.header_key); any active integration's
  key; problem details on error.

Checked by `formats`, then committed before the answer (durable) by `services.record`, in one
transaction with what it leads to: the
integration's mapping rules read `source` and `custom_details` as labels and pick a service and a
site (else the integration's defaults); the event is recorded as an implemented standard change
(changes.recorded) and on the service's timeline. The SHA-256 of the event as sent (without the
routing key) is unique per integration, so a retry is answered 202 again and stored once.
"""
