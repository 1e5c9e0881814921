"""Watch a learner's dashboard socket on a running server, message by message."""
import asyncio
import json
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

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

    def handle(self, *args, username: str, url: str, since: int | None, raw: bool, seconds: float | None,
               **options) -> None:
        from dashboard.selectors import current_version

        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No learner called {username!r}.")
        start = current_version(user.pk) if since is None else since
        client = DashboardClient(url, session_cookie_for(user), since=start, on_message=self.show_raw if raw else self.show)
        if not raw:
            self.stdout.write(f"Watching {username} (user {user.pk}) at {url}, catching up from version {start}. "
                              "Ctrl-C to stop.")
        try:
            asyncio.run(self.watch(client, seconds))
        except KeyboardInterrupt:
            pass

    async def watch(self, client: DashboardClient, seconds: float | None) -> None:
        stop = asyncio.Event()
        if seconds is not None:
            asyncio.get_running_loop().call_later(seconds, stop.set)
        await client.run(stop)

    def show_raw(self, message: dict) -> None:
        self.stdout.write(json.dumps(message), ending="\n")
        self.stdout.flush()

    def show(self, message: dict) -> None:
        at = datetime.now().strftime("%H:%M:%S.%f")[:-3]
        kind = message.get("type")
        if kind == "catchup":
            lines = [f"{at}  catch-up to version {message['version']}: {len(message['enrollments'])} change(s)"]
            lines += [f"{'':14}{describe(e)}" for e in message["enrollments"]]
        elif kind == "enrollment.updated":
            lines = [f"{at}  update v{message['version']}: {describe(message['enrollment'])}"]
        elif kind == "heartbeat":
            lines = [f"{at}  heartbeat, learner at version {message['version']}"]
        elif kind == "error":
            lines = [f"{at}  ERROR {message['code']}: {message['message']}"]
        else:
            lines = [f"{at}  {json.dumps(message)}"]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()


def describe(enrollment: dict) -> str:
    reason = f" ({enrollment['failure_reason']})" if enrollment.get("failure_reason") else ""
    return f"{enrollment['course_id']} [{enrollment['mode']}] is {enrollment['status'].upper()}{reason} (v{enrollment['version']})"
