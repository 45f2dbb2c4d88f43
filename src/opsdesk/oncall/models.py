"""Tables of the oncall app."""

from django.db import models  # noqa: F401
