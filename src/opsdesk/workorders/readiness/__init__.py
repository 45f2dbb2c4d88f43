"""The readiness gate of work orders: what is missing, who must act, by when, and which rule says so.

- rules.py: the pure gate (plain facts in, blockers out); never touches the database.
- batch.py: the facts of a batch of work orders, loaded in a bounded number of queries.
- queries.py: readiness of one work order, many, or by id; the API shape of an answer.
- forked.py: readiness of a bulk load judged in forked worker processes.

Import the module you need (`from opsdesk.workorders.readiness import queries`); nothing is
re-exported here.
"""
