"""Every channel that reaches people outside opsdesk: signed webhooks, Slack, Microsoft Teams (email stays in core.notify)."""
