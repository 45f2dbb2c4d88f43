"""Change windows and freezes: when change may happen at a site, a region or a client.

A sub-package of the changes app (app label `changes`): rules.py evaluates RFC 5545 rules in each
site's local time (pure), services.py and queries.py write and read ChangeWindow rows, api.py is
the /change-windows API, admin.py its admin. It imports nothing else of opsdesk.changes
(import-linter holds it to that); the change lifecycle, the calendar page and the iCalendar
feeds call into it.
"""
