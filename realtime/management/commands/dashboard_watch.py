"""Watch a learner's dashboard socket on a running server, message by message."""
import asyncio
import contextlib
import json
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from realtime import protocol
from realtime.client import DashboardClient
from realtime.sessions import session_cookie_for


class Command(BaseCommand):
    help = "Connect to a running server as a learner and print every dashboard protocol message."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running server (default %(default)s)")
        parser.add_argument("--since", type=int, default=None,
                            help="the version to catch up from (0 replays everything); default: only what comes next")
        parser.add_argument("--json", dest="raw", action="store_true", help="print raw JSON, one message a line")
        parser.add_argument("--seconds", type=float, default=None, help="stop after this long (default: Ctrl-C)")
        parser.add_argument("--connect-seconds", type=float, default=10,
                            help="give up when nothing answers within this long (default %(default)s)")

    def handle(self, *args, username: str, url: str, since: int | None, raw: bool, seconds: float | None,
               connect_seconds: float, **options) -> None:
        from realtime.items import clock

        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No learner called {username!r}.")
        start = clock().current_version(user.pk) if since is None else since
        client = DashboardClient(url, session_cookie_for(user), since=start, on_message=self.show_raw if raw else self.show)
        if not raw:
            self.stdout.write(f"Watching {username} (user {user.pk}) at {url}, catching up from version {start}. "
                              "Ctrl-C to stop.")
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(self.watch(client, seconds, connect_seconds))

    async def watch(self, client: DashboardClient, seconds: float | None, connect_seconds: float) -> None:
        stop = asyncio.Event()
        if seconds is not None:
            asyncio.get_running_loop().call_later(seconds, stop.set)
        running = asyncio.ensure_future(client.run(stop))
        try:
            await asyncio.wait_for(client.connected.wait(), connect_seconds)
        except TimeoutError:
            stop.set()
            await running
            raise CommandError(
                f"Nothing answered at {client.ws_url} within {connect_seconds:g} s"
                + (f" (the server closed with {client.close_codes[-1]})" if client.close_codes and client.close_codes[-1]
                   else "; is the demo (`make run`) running there?")
            ) from None
        await running

    def show_raw(self, message: dict) -> None:
        self.stdout.write(json.dumps(message), ending="\n")
        self.stdout.flush()

    def show(self, message: dict) -> None:
        at = datetime.now().strftime("%H:%M:%S.%f")[:-3]
        kind = message.get("type")
        if kind == "catchup":
            entries = protocol.items_in(message)
            lines = [f"{at}  catch-up to version {message['version']}: {len(entries)} change(s)"]
            lines += [f"{'':14}{describe(entry)}" for entry in entries]
        elif kind in ("item.updated", "enrollment.updated"):
            lines = [f"{at}  update v{message['version']}: {describe(entry)}" for entry in protocol.items_in(message)]
        elif kind == "heartbeat":
            lines = [f"{at}  heartbeat, learner at version {message['version']}"]
        elif kind == "error":
            lines = [f"{at}  ERROR {message['code']}: {message['message']}"]
        else:
            lines = [f"{at}  {json.dumps(message)}"]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()


def describe(entry: dict) -> str:
    item = entry["item"]
    reason = f" ({item['failure_reason']})" if item.get("failure_reason") else ""
    mode = f" [{item['mode']}]" if item.get("mode") else ""
    return f"{entry['kind']} {entry['key']}{mode} is {str(item.get('status', 'changed')).upper()}{reason} (v{item['version']})"
