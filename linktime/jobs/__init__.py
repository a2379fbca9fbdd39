"""Durable background work: the outbox (``outbox.py``: jobs queued in a transaction, claimed, run,
retried), the kinds of job (``kinds.py``), the lease that keeps one sync per mirrored record
(``sync_lease.py``) and the in-process scheduler (``scheduler.py``)."""
