"""Durable background work: the outbox (``outbox.py``: jobs queued in a transaction, claimed, run,
retried), who runs them and when (``runner.py``), the kinds of job (``kinds.py``), the lease that
keeps one sync per mirrored record at a time (``sync_lease.py``), and the in-process scheduler
(``scheduler.py``)."""
