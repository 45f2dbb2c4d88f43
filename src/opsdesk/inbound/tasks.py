"""Background work of inbound mail: process a stored message; send an automatic answer."""

from __future__ import annotations

from django_tasks import task


@task()
def process_message(message_id: int) -> str:
    """Process one stored message (idempotent); its state afterwards."""
    from .services import process

    return process(message_id).state


@task()
def send_answer(message_id: int) -> bool:
    """Send the automatic answer of a processed message (only if it is still due)."""
    from .answers import answer_unknown_sender
    from .models import InboundMessage

    message = InboundMessage.objects.filter(pk=message_id, answered_at__isnull=False).first()
    return message is not None and answer_unknown_sender(message)


@task()
def process_stale() -> dict[str, int]:
    """The safety net: process messages still `received` a minute after they arrived (their own
    task died with a killed worker, say); counts by state afterwards."""
    from .services import process_pending

    return process_pending(older_than_seconds=60)
