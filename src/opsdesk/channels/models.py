"""Tables of the channels app."""

from django.db import models  # noqa: F401
