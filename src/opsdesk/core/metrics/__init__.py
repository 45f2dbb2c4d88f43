"""opsdesk's own metrics, served at /metrics in the Prometheus exposition format.

- registry.py: the metrics, the counting helpers the apps call, the scrape-time sources, the exposition.
- sources.py: the kernel's gauges read from the database at scrape time (task queue, emails waiting).
- view.py: GET /metrics (who may scrape) and the middleware that times every request.

Import the module you need (`from opsdesk.core.metrics import registry`); nothing is re-exported here.
"""
