"""Inbound email: opsdesk mail receives messages and turns them into requests, comments, updates and acknowledgements."""
