"""Tables of the inbound app."""

from django.db import models  # noqa: F401
