"""Testing the Learnwell live dashboard's WebSocket protocol from any project.

``pytest-learnwell`` is a pytest plugin (loaded by its ``pytest11`` entry point
once installed) and a small library:

- ``Contract``: the AsyncAPI document a server publishes, checking every message;
- ``DashboardSocket``: one dashboard socket seen from the client, with waits
  (``expect``, ``expect_item``, ``expect_update``) whose failures list what arrived;
- ``connect``: a real WebSocket to a running server, with a connection token
  (no database access needed) or a session cookie.
"""
from learnwell_qa.contract import Contract
from learnwell_qa.sockets import DashboardSocket, connect, items_in

__all__ = ["Contract", "DashboardSocket", "connect", "items_in"]
