"""Heartbeats (a dead-man's switch): a monitoring job pings every so often with its integration's
key; a missed ping raises an alert through the normal pipeline, the next ping resolves it.
`rules` holds the state machine (new, up, late, down), `services` the use cases and the periodic
check (`tasks.check_heartbeats`), `api` and `views` the edges."""
