"""Tables of the paging app."""

from django.db import models  # noqa: F401
