"""Tables of the channels app: endpoints (where events go), deliveries (what was sent) and attempts."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Endpoint(models.Model):
    """Where events are delivered: a signed webhook, a Slack incoming webhook, a Slack app (the Web
    API with a bot token: the card of one object is edited in place) or a Teams Workflows webhook.

    An endpoint with a `client` belongs to that client (it receives the client's wording of its own
    client's events, never another's); without one it is internal (responders' wording of every event).
    `events` lists the event types it subscribes to (empty: all); `team`, when set, narrows it to
    events published for that team.

    The signing secret of a webhook endpoint is the Standard Webhooks secret `whsec_<base64 key>`.
    It is shown once (at creation and at rotation) and never stored: the table keeps only a random
    `secret_salt`, and the key is derived when signing as HMAC-SHA256(settings.SECRET_KEY,
    "opsdesk-webhook:" + salt). A leaked database alone therefore does not reveal any secret (the
    SECRET_KEY lives in the server's configuration, not in the database); rotating SECRET_KEY
    changes every endpoint's secret, so rotate the endpoints' secrets with it.

    A Slack app endpoint's `url` is the Slack API base (`https://slack.com/api`) and `slack_channel`
    the channel it posts to; its bot token is not stored either: it is the server's
    `OPSDESK_SLACK_BOT_TOKEN` setting (one Slack app per opsdesk installation).
    """

    class Kind(models.TextChoices):
        WEBHOOK = "webhook", "Signed webhook (Standard Webhooks)"
        SLACK = "slack", "Slack (incoming webhook)"
        SLACK_APP = "slack_app", "Slack app (bot token, updates in place)"
        TEAMS = "teams", "Microsoft Teams (Workflows webhook)"

    class Audience(models.TextChoices):
        RESPONDERS = "responders", "Responders (internal wording)"
        CLIENT = "client", "Client (plain-language wording)"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.WEBHOOK)
    url = models.CharField(max_length=2000, help_text="http(s) URL; vetted by the SSRF guard at save and at each send.")
    client = models.ForeignKey("tenancy.Client", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="channel_endpoints", help_text="Blank: internal.")
    slack_channel = models.CharField(max_length=80, blank=True,
                                     help_text="Slack app endpoints: the channel id posted to (C0123456789).")
    team = models.CharField(max_length=100, blank=True, help_text="Only events published for this team (blank: all).")
    events = models.JSONField(default=list, blank=True, help_text="Event types subscribed to (empty: all).")
    audience = models.CharField(max_length=12, choices=Audience.choices, default=Audience.RESPONDERS)
    active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    failure_threshold = models.PositiveIntegerField(default=10, help_text="Failed attempts in a row that disable it.")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", help_text="Told when the endpoint is disabled.")
    secret_salt = models.CharField(max_length=64, blank=True, editable=False)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_path = "client"

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["active", "kind"], name="channel_endpoint_active")]

    def __str__(self) -> str:
        return self.name

    @property
    def shown_url(self) -> str:
        """The URL as shown back: in full for a signed webhook and a Slack app (the API base); for
        Slack and Teams webhooks, whose URL is itself the credential, only its scheme and host
        (write-only, like a secret)."""
        if self.kind in (self.Kind.WEBHOOK, self.Kind.SLACK_APP):
            return self.url
        scheme, _sep, rest = self.url.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}/…"


class Delivery(models.Model):
    """One event sent (or to be sent) to one endpoint, with its retries' outcome.

    `message_id` is the `webhook-id`: the same for every attempt of the delivery, replays
    included, so a receiver can drop duplicates. `payload` is the body exactly as sent.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (retry scheduled)"
        GIVEN_UP = "given_up", "Given up"

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=100)
    message_id = models.CharField(max_length=64, unique=True)
    idempotency_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_answer = models.TextField(blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    thread_key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()

    tenant_path = "endpoint__client"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["endpoint", "-created_at"], name="channel_delivery_endpoint")]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.event} -> {self.endpoint_id} ({self.state})"


class SlackMessage(models.Model):
    """The Slack message a Slack app endpoint posted for one thread (`incident:42`): where it is
    (`channel`, `ts`, as `chat.postMessage` answered them), so the thread's later deliveries edit it
    with `chat.update` instead of posting a new card."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="slack_messages")
    thread_key = models.CharField(max_length=100)
    channel = models.CharField(max_length=80)
    ts = models.CharField(max_length=40)
    posted_at = models.DateTimeField()
    updated_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "endpoint__client"

    class Meta:
        ordering = ["-posted_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "thread_key"], name="channel_slack_message_thread")]

    def __str__(self) -> str:
        return f"{self.thread_key} -> {self.channel}/{self.ts}"


class Attempt(models.Model):
    """One try of a delivery and the receiver's answer."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_rows")
    at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    answer = models.TextField(blank=True, help_text="The first 2 KB of the answer.")
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    replay = models.BooleanField(default=False)

    tenant_path = "delivery__endpoint__client"

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"attempt of {self.delivery_id} at {self.at:%Y-%m-%d %H:%M:%S}"
