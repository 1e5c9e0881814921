"""Several Daphne nodes and workers sharing one channel layer, behind a load balancer."""
import asyncio
import threading
from itertools import count

import pytest
import redis

from devstack.processes import free_port, start_daphne, start_redis, wait_until
from devstack.testing import LOG_DIR
from tests.e2e.helpers import converge, free_seats, place

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class LoadBalancer:
    """A round-robin TCP balancer on loopback (what nginx does in docker-compose.yml):
    each new connection goes to the next backend that accepts it."""

    def __init__(self, backend_ports: list[int]) -> None:
        self.backends = backend_ports
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.turn = count()
        self.per_backend: dict[int, int] = {port: 0 for port in backend_ports}
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(started,), daemon=True)
        self.thread.start()
        started.wait(5)

    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", self.port))
        started.set()
        self.loop.run_forever()

    async def _handle(self, client_reader, client_writer) -> None:  # one per client connection
        for _ in range(len(self.backends)):
            port = self.backends[next(self.turn) % len(self.backends)]
            try:
                backend_reader, backend_writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                continue
            self.per_backend[port] += 1
            await asyncio.gather(self._pipe(client_reader, backend_writer), self._pipe(backend_reader, client_writer))
            return
        client_writer.close()

    @staticmethod
    async def _pipe(reader, writer) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()

    async def _shutdown(self) -> None:
        self.server.close()
        pipes = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in pipes:
            task.cancel()
        await asyncio.gather(*pipes, return_exceptions=True)


def test_two_nodes_two_workers_every_event_arrives_and_a_dead_nodes_learners_move(
    start_stack, dashboards, make_learner
):
    stack = start_stack(workers=2, FULFILLMENT_DELAY_SECONDS="0.1", REALTIME_HEARTBEAT_SECONDS="1")
    second = start_daphne(free_port(), stack.env, LOG_DIR, name="daphne-second")
    stack.workers.append(second)  # stopped with the stack
    balancer = LoadBalancer([stack.port, int(second.extra["url"].rsplit(":", 1)[1])])
    try:
        seats = free_seats(2)
        learners = [make_learner() for _ in range(10)]
        board = dashboards(balancer.url, learners)
        assert all(n >= 4 for n in balancer.per_backend.values()), balancer.per_backend  # spread over both

        for learner in learners:  # orders land on either node; the workers publish to whichever holds the socket
            node = stack.url if learner.user.pk % 2 else second.extra["url"]
            assert place(node, learner, seats[0])[0] == 201
        converge(board, [learner.user.pk for learner in learners])

        stack.daphne.kill()  # one node dies; its learners reconnect through the balancer to the other
        wait_until(board.all_connected, 60, "every dashboard to reconnect to the surviving node")
        for learner in learners:
            assert place(second.extra["url"], learner, seats[1])[0] == 201
        converge(board, [learner.user.pk for learner in learners])
        assert all(client.connections >= 1 for client in board.clients.values())
    finally:
        balancer.close()



@pytest.mark.any_database  # the channel layer's sharding, whatever the database
def test_the_channel_layer_shards_over_two_redis_servers(start_stack, dashboards, make_learner):
    shards = [start_redis(free_port(), LOG_DIR) for _ in range(2)]
    try:
        stack = start_stack(
            workers=1, CHANNEL_LAYER_SHARDS=",".join(s.extra["url"] for s in shards),
            FULFILLMENT_DELAY_SECONDS="0.1", REALTIME_HEARTBEAT_SECONDS="120",  # only pushes can converge
        )
        learners = [make_learner() for _ in range(16)]
        board = dashboards(stack.url, learners, silence_timeout=300)
        for shard in shards:  # the learners' groups are spread over both servers
            assert redis.Redis.from_url(shard.extra["url"]).pubsub_channels(), f"{shard.name} holds no group"
        (seat,) = free_seats(1)
        for learner in learners:
            assert place(stack.url, learner, seat)[0] == 201
        converge(board, [learner.user.pk for learner in learners], timeout=30)
    finally:
        for shard in shards:
            shard.stop()
