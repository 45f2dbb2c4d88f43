"""The alert intake: a sender's delivery checked, adapted, stored, and answered.

The one hot path, shared by the Django views (alerts.intake.views, on `opsdesk serve`'s port,
one commit per request) and the lean server (alerts.intake.server, `opsdesk intake`, commits
grouped by a writer thread). A delivery goes through:

1. `deliveries.locate(kind, path_key, body)`: which integration key to look up (the path's, else
   the one in the `Authorization: Bearer` or `X-Opsdesk-Key` header (`deliveries.header_key`), or
   the Events API's `routing_key`, for which the body is parsed and checked first);
2. the integration's `Source`, by the key's hash: `queries.find_source` (database) or the server's cache;
3. `deliveries.accept(...)`: signature (Grafana HMAC), JSON, format adapter -> the RawEvent row to
   store and the answer to give once it is committed, or a refusal;
4. `storage.store(rows)`: one transaction; the 2xx is sent only after its commit.

Answers (`answers`) follow what senders do with them: 5xx and 429 are retried, other 4xx are
dropped. So a busy or unreachable database is 503 with Retry-After (never 4xx, never 500); a
delivery that can never succeed (unknown key, bad signature, not an event, too large) is 4xx.
`/v2/enqueue` answers in PagerDuty's shape; the `/api/v1/integrations/...` paths in RFC 9457
problem details. The operations are in the OpenAPI document by hand (`openapi`).
"""
