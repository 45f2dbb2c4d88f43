"""WSGI entry point (used by `opsdesk serve` through gunicorn)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
application = get_wsgi_application()

# The loaded app (Django, Ninja schemas, URL maps) lives for the whole process: move it out of
# the collector's view, and collect young objects less often. Measured in bench/lists.py: the
# p95 of list pages fell to about the p50 (the tail was full collections rescanning the app).
gc.freeze()
gc.set_threshold(50_000, 20, 100)
