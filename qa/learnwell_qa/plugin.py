"""The pytest plugin (entry point ``pytest11: learnwell``): fixtures for a running server.

Options (or environment variables)
    --learnwell-url URL      the server, e.g. https://staging.learn.example.com (LEARNWELL_URL)
    --learnwell-token TOKEN  a connection token for the test learner (LEARNWELL_TOKEN), from
                             ``POST /api/v1/realtime/token/`` while logged in as that learner

Fixtures
    learnwell_url        the server's address (override it to point at a server your tests start)
    learnwell_token      the connection token
    learnwell_contract   the AsyncAPI document the server publishes (learnwell_qa.Contract)
    learnwell_connect    (async) ``await learnwell_connect(token=..., cookie=...)`` opens a
                         DashboardSocket checked against the contract; closed after the test
    learnwell_dashboard  (async) a socket with the token that said hello (protocol 2) and
                         received its catch-up
"""
import os
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio

from learnwell_qa.contract import Contract
from learnwell_qa.sockets import DashboardSocket, connect

Connect = Callable[..., Awaitable[DashboardSocket]]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("learnwell", "Learnwell live dashboard")
    group.addoption("--learnwell-url", default=os.environ.get("LEARNWELL_URL"), help="the server (LEARNWELL_URL)")
    group.addoption(
        "--learnwell-token", default=os.environ.get("LEARNWELL_TOKEN"), help="a connection token (LEARNWELL_TOKEN)"
    )


@pytest.fixture(scope="session")
def learnwell_url(pytestconfig: pytest.Config) -> str:
    url = pytestconfig.getoption("learnwell_url")
    if not url:
        pytest.fail("give the server with --learnwell-url or LEARNWELL_URL", pytrace=False)
    return url.rstrip("/")


@pytest.fixture(scope="session")
def learnwell_token(pytestconfig: pytest.Config) -> str:
    token = pytestconfig.getoption("learnwell_token")
    if not token:
        pytest.fail(
            "give a connection token with --learnwell-token or LEARNWELL_TOKEN "
            "(POST /api/v1/realtime/token/ as the test learner)",
            pytrace=False,
        )
    return token


@pytest.fixture(scope="session")
def learnwell_contract(learnwell_url: str) -> Contract:
    return Contract.from_server(learnwell_url)


@pytest_asyncio.fixture
async def learnwell_connect(learnwell_url: str, learnwell_contract: Contract) -> AsyncIterator[Connect]:
    opened: list[DashboardSocket] = []

    async def open_socket(token: str | None = None, cookie: str | None = None) -> DashboardSocket:
        socket = await connect(learnwell_url, token=token, cookie=cookie, contract=learnwell_contract)
        opened.append(socket)
        return socket

    yield open_socket
    for socket in opened:
        await socket.close()


@pytest_asyncio.fixture
async def learnwell_dashboard(learnwell_connect: Connect, learnwell_token: str) -> DashboardSocket:
    socket = await learnwell_connect(token=learnwell_token)
    await socket.hello(0, protocol=2)
    return socket
