"""The SMTP / LMTP listener of `opsdesk mail` (aiosmtpd): recipients outside our domains get 550,
messages above OPSDESK_MAIL_MAX_BYTES 552, and a message is stored (committed) before its 250, so
an acknowledged message survives the listener's death. The database work runs in a thread
(sync_to_async), off the event loop."""

from __future__ import annotations

from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connection

from . import services


def _store(raw: bytes, mail_from: str, rcpt_to: list[str], protocol: str) -> int:
    close_old_connections()
    try:
        return services.store_message(raw, mail_from=mail_from, rcpt_to=rcpt_to, protocol=protocol).pk
    finally:
        # Mail comes seldom: a connection per message, none left open between them (or at exit).
        connection.close()


class Handler:
    """aiosmtpd handler: refuses foreign recipients, stores each message before it says 250."""

    def __init__(self, *, lmtp: bool = False) -> None:
        self.lmtp = lmtp

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if not services.recipient_allowed(address):
            return "550 5.1.1 Recipient address rejected: not a domain handled here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        if len(raw) > settings.OPSDESK_MAIL_MAX_BYTES:
            return "552 5.3.4 Message too big"
        try:
            pk = await sync_to_async(_store, thread_sensitive=True)(
                raw, envelope.mail_from or "", list(envelope.rcpt_tos), "lmtp" if self.lmtp else "smtp")
        except Exception:  # not stored: the sender must keep it and retry
            return "451 4.3.0 Could not store the message; try again later"
        if self.lmtp:  # LMTP: one answer per recipient (RFC 2033)
            return "\r\n".join(f"250 2.0.0 <{r}> stored as {pk}" for r in envelope.rcpt_tos)
        return f"250 2.0.0 Message stored as {pk}"


class MailController(Controller):
    """aiosmtpd's threaded controller serving SMTP or LMTP with our limits."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 8025, lmtp: bool = False, **kw: Any) -> None:
        self.lmtp = lmtp
        super().__init__(Handler(lmtp=lmtp), hostname=host, port=port, ready_timeout=10, **kw)

    def factory(self) -> SMTP:
        cls = LMTP if self.lmtp else SMTP
        return cls(self.handler, data_size_limit=settings.OPSDESK_MAIL_MAX_BYTES, enable_SMTPUTF8=True,
                   decode_data=False, hostname="opsdesk", ident="opsdesk mail")
