"""Pure protocol logic, and every message builder checked against docs/asyncapi.yaml."""
import json

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from realtime import protocol
from realtime.asyncapi import validate_server_message

ENROLLMENT = {
    "course_id": "course-v1:Org+Num+Run",
    "course_title": "A course",
    "mode": "verified",
    "status": "active",
    "version": 7,
    "failure_reason": "",
    "url": "/courses/course-v1:Org+Num+Run/",
}


def test_parse_hello_and_ping():
    assert protocol.parse_client_frame('{"type": "hello", "since": 4}', None) == protocol.Hello(4)
    assert protocol.parse_client_frame('{"type": "hello"}', None) == protocol.Hello(0)
    assert protocol.parse_client_frame('{"type": "ping", "id": "a"}', None) == protocol.Ping("a")
    assert protocol.parse_client_frame('{"type": "ping"}', None) == protocol.Ping(None)


@pytest.mark.parametrize(
    "since", [True, 1.5, "3", None, -1, [1]],
)
def test_hello_since_must_be_a_non_negative_int(since):
    with pytest.raises(protocol.ProtocolError) as problem:
        protocol.parse_client_message({"type": "hello", "since": since})
    assert problem.value.code == "invalid_since"


@pytest.mark.parametrize(
    "message",
    [
        protocol.catchup(3, [ENROLLMENT], "3f2a9c0d1e4b"),
        protocol.catchup(0, [], "3f2a9c0d1e4b"),
        protocol.enrollment_updated(ENROLLMENT, 7),
        protocol.enrollment_updated({**ENROLLMENT, "status": "failed", "failure_reason": "down"}, 8),
        protocol.heartbeat(12),
        protocol.pong("x"),
        protocol.pong(None),
        protocol.error("unknown_type", "nope"),
        protocol.error("going_away", protocol.GOING_AWAY.message, retry_after_ms=0),
    ],
)
def test_every_server_message_matches_the_asyncapi_document(message):
    validate_server_message(message)


@pytest.mark.parametrize(
    "message",
    [
        {"type": "enrollment.updated", "version": 1},
        {"type": "heartbeat", "version": -1},
        {"type": "catchup", "version": 1, "enrollments": [{**ENROLLMENT, "status": "weird"}], "build": "b"},
        {"type": "catchup", "version": 1, "enrollments": []},
        {"type": "error", "code": "going_away", "message": "m", "retry_after_ms": -1},
        {"type": "surprise"},
    ],
)
def test_the_validator_rejects_what_the_document_does_not_allow(message):
    with pytest.raises(jsonschema.ValidationError):
        validate_server_message(message)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@given(st.one_of(st.text(max_size=300), json_values.map(json.dumps)))
def test_any_text_frame_parses_or_raises_protocol_error(frame):
    try:
        message = protocol.parse_client_frame(frame, None)
    except protocol.ProtocolError as problem:
        validate_server_message(protocol.error(problem.code, problem.message))
    else:
        assert isinstance(message, (protocol.Hello, protocol.Ping))



def test_every_close_code_is_one_daphne_lets_an_application_send_and_is_documented():
    from realtime.asyncapi import close_codes

    assert all(4000 <= code <= 4999 for code in protocol.CLOSINGS)
    documented = close_codes()
    assert {code: closing.error for code, closing in protocol.CLOSINGS.items()} == {
        code: entry["error"] for code, entry in documented.items()
    }
