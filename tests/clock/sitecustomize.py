"""Loaded by every Python process of a test run that has this folder on PYTHONPATH (CI's night-hour
run): when LINKTIME_TEST_CLOCK_OFFSET is set, the wall clock (time.time, datetime.now, …) runs that
many seconds off the real one, the same in the test process and in every server it starts
(LinkTime, gunicorn workers, the sandboxes, Radicale). Monotonic clocks, timeouts and sleeps stay
real. A process without time-machine (a fresh virtualenv) keeps the real clock."""
import os

_offset = os.environ.get("LINKTIME_TEST_CLOCK_OFFSET")
if _offset:
    try:
        import time

        import time_machine
    except ImportError:
        pass
    else:
        time_machine.travel(time.time() + float(_offset), tick=True).start()
        time.time()  # the clock ticks from its first reading: read it now, as every process does
