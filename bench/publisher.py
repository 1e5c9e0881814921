"""A process that publishes at a steady rate: through our publishing function, a bare group_send,
or (for the Socket.IO peer) a plain Redis PUBLISH that its server forwards."""
import json
import os
import time
from collections.abc import Mapping
from typing import Any

PEER_CHANNEL = "bench-peer"


def wire(user_id: int, version: int) -> Mapping[str, Any]:
    from dashboard.wire import wire as enrollment_wire  # Django is set up by then

    return enrollment_wire(f"course-v1:Bench+U{user_id}+2026", "Benchmark Course", "audit", "active", version)


def run(env: dict, kind: str, user_ids: list[int], rate: float, duration: float, version_base: int, conn) -> None:
    os.environ.update(env)
    import django

    django.setup()
    import asyncio
    import threading

    from channels.layers import get_channel_layer

    from realtime.publishing import group_for_user, publish_item

    layer = get_channel_layer()
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()

    def bare(user_id: int, version: int, enrollment: Mapping[str, Any]) -> None:
        message = {"type": "enrollment.updated", "enrollment": enrollment, "version": version}
        asyncio.run_coroutine_threadsafe(layer.group_send(group_for_user(user_id), message), loop).result(5)

    def ours(user_id: int, version: int, enrollment: Mapping[str, Any]) -> None:
        publish_item(user_id, "enrollment", enrollment)

    def peer(user_id: int, version: int, enrollment: Mapping[str, Any]) -> None:
        message = {"type": "enrollment.updated", "enrollment": enrollment, "version": version}
        peer_redis.publish(PEER_CHANNEL, json.dumps({"user": user_id, "message": message}))

    if kind == "socketio":
        import redis

        peer_redis = redis.Redis.from_url(env["REDIS_URL"])
    send = {"ours": ours, "bare": bare, "socketio": peer}[kind]
    total = int(rate * duration)
    # Built before the clock starts (the first one loads Django's URL resolver), the same for every kind.
    updates = [(user_id, version, wire(user_id, version))
               for user_id, version in ((user_ids[i % len(user_ids)], version_base + i) for i in range(total))]
    sent = []
    start = time.perf_counter()
    for i, (user_id, version, enrollment) in enumerate(updates):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)  # pacing the offered load, not waiting for a condition
        sent.append((user_id, version, time.time()))
        send(user_id, version, enrollment)
    conn.send({"sent": sent, "elapsed": time.perf_counter() - start})
