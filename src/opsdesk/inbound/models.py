"""Tables of the inbound app: each message received by `opsdesk mail`, stored raw before it is
acknowledged, with the one outcome its processing recorded, and the attachments it kept."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models


def _files() -> FileSystemStorage:
    return FileSystemStorage(location=Path(settings.OPSDESK_MAIL_FILES_DIR))


class InboundMessage(models.Model):
    """One message received (SMTP or LMTP): the raw bytes and envelope, committed before the 250;
    processing (inbound.services.process) gives it exactly one outcome, or leaves it failed."""

    class State(models.TextChoices):
        RECEIVED = "received", "Received (not processed yet)"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed (retry it)"

    class Outcome(models.TextChoices):
        NEW_REQUEST = "new_request", "New request"
        NEEDS_TRIAGE = "needs_triage", "For the desk (site not named)"
        COMMENT = "comment", "Comment on a work order"
        ACKNOWLEDGED = "acknowledged", "Incident acknowledged"
        UPDATE_REQUEST = "update_request", "Incident update request"
        IGNORED_AUTO = "ignored_auto", "Ignored (automatic message)"
        UNKNOWN_SENDER = "unknown_sender", "Unknown sender"

    raw = models.BinaryField(help_text="The message as received (RFC 5322 bytes).")
    size = models.PositiveIntegerField(default=0)
    mail_from = models.CharField(max_length=320, blank=True, help_text="Envelope sender (empty: a bounce, <>).")
    rcpt_to = models.JSONField(default=list, help_text="Envelope recipients.")
    message_id = models.CharField(max_length=998, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    sender = models.CharField(max_length=320, blank=True, db_index=True, help_text="The From address, lower case.")
    protocol = models.CharField(max_length=4, default="smtp")
    received_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.RECEIVED)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    detail = models.JSONField(default=dict, blank=True, help_text="What processing found and did (inferred fields).")
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True, help_text="When an automatic answer was sent.")
    target_type = models.CharField(max_length=20, blank=True, help_text="workorder or incident")
    target_id = models.PositiveBigIntegerField(null=True, blank=True)

    tenant_path = "__staff_only__"  # the desk's mailbox: client users never see it

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["state", "id"], name="inbound_state"),
            models.Index(fields=["outcome", "-received_at"], name="inbound_outcome"),
            models.Index(fields=["sender", "answered_at"], name="inbound_sender_answered"),
        ]

    def __str__(self) -> str:
        return f"{self.sender or self.mail_from or '<>'}: {self.subject}"

    @property
    def target_url(self) -> str | None:
        """The page of what the message became (a work order, an incident), if anything."""
        if self.target_id is None:
            return None
        return {"workorder": f"/work/{self.target_id}/", "incident": f"/incidents/{self.target_id}/"}.get(
            self.target_type)


class InboundAttachment(models.Model):
    """A file attached to an inbound message, kept under OPSDESK_MAIL_FILES_DIR."""

    message = models.ForeignKey(InboundMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    file = models.FileField(storage=_files, upload_to="%Y/%m/")

    tenant_path = "__staff_only__"

    class Meta:
        ordering = ["message", "id"]

    def __str__(self) -> str:
        return self.filename
