"""How long a socket server's event loop was kept from running what was ready.

One process runs every socket it holds on one event loop, so any callback that
runs long (a heartbeat batch, a pipelined Redis call built and parsed in one
go, a garbage collection) delays every event waiting behind it. ``watch`` asks
to be woken every ``INTERVAL`` seconds and records how late it woke: a timer
due at a given moment waits exactly as long as an event arriving then would,
so these samples are the distribution of that wait. Ten a second cost about
0.2 % of a core here (fifty cost almost 1 %, measured); a stall is caught when it
covers a sample, so short ones are seen in proportion to their length.
Stalls are exported as ``learnwell_event_loop_stall_seconds``; those of
``LOG_STALL_MS`` and more are also written to the log as "LOOPSTALL ms=<stall>
ran_ms=<cpu> at=<epoch>" (the benchmark reads these lines, as it reads
realtime.collector's GCPAUSE lines). ``ran_ms`` is the CPU the loop's thread
used from the previous sample to this late one: a callback that computed for
the whole stall shows about as much as the stall; a loop that was ready but
waited for a core (the machine busy with other processes), or a call that
blocked, shows little.
"""
import asyncio
import os
import time

from realtime.metrics import LOOP_STALL

INTERVAL = 0.1
LOG_STALL_MS = 10.0


async def watch() -> None:
    loop = asyncio.get_running_loop()
    while True:
        due, ran_before = loop.time() + INTERVAL, time.thread_time()
        await asyncio.sleep(INTERVAL)
        stall = max(0.0, loop.time() - due)
        LOOP_STALL.observe(stall)
        if stall * 1000 >= LOG_STALL_MS:
            ran = time.thread_time() - ran_before
            os.write(2, f"LOOPSTALL ms={stall * 1000:.1f} ran_ms={ran * 1000:.1f} at={time.time():.3f}\n".encode())
