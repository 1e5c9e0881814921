"""Pure protocol logic, and every message builder checked against docs/asyncapi.yaml."""
import json

import jsonschema
import learnwell_qa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from realtime import protocol
from realtime.testing import CONTRACT

ENROLLMENT = {
    "course_id": "course-v1:Org+Num+Run",
    "course_title": "A course",
    "mode": "verified",
    "status": "active",
    "version": 7,
    "failure_reason": "",
    "url": "/courses/course-v1:Org+Num+Run/",
    "paid": False,
}
ENTRY = {"kind": "enrollment", "key": ENROLLMENT["course_id"], "item": ENROLLMENT}
OTHER_KIND = {"kind": "certificate", "key": "c-1", "item": {"version": 8}}


def test_parse_hello_and_ping():
    assert protocol.parse_client_frame('{"type": "hello", "since": 4}', None) == protocol.Hello(4)
    assert protocol.parse_client_frame('{"type": "hello"}', None) == protocol.Hello(0)
    assert protocol.parse_client_frame('{"type": "hello", "since": 2, "protocol": 2}', None) == protocol.Hello(2, 2)
    assert protocol.parse_client_frame('{"type": "ping", "id": "a"}', None) == protocol.Ping("a")
    assert protocol.parse_client_frame('{"type": "ping"}', None) == protocol.Ping(None)


@pytest.mark.parametrize(
    "since", [True, 1.5, "3", None, -1, [1]],
)
def test_hello_since_must_be_a_non_negative_int(since):
    with pytest.raises(protocol.ProtocolError) as problem:
        protocol.parse_client_message({"type": "hello", "since": since})
    assert problem.value.code == "invalid_since"


@pytest.mark.parametrize("version", [0, 3, True, "2", None, 2.0])
def test_a_hello_names_a_protocol_the_server_speaks(version):
    with pytest.raises(protocol.ProtocolError) as problem:
        protocol.parse_client_message({"type": "hello", "since": 0, "protocol": version})
    assert problem.value.code == "unsupported_protocol"


def test_protocol_1_carries_enrollments_only_and_protocol_2_every_kind():
    legacy = protocol.catchup(8, [ENTRY, OTHER_KIND], "b", speaking=1)
    assert legacy == {"type": "catchup", "version": 8, "enrollments": [ENROLLMENT], "build": "b"}
    assert protocol.catchup(8, [ENTRY, OTHER_KIND], "b", speaking=2)["items"] == [ENTRY, OTHER_KIND]
    assert protocol.item_updated(OTHER_KIND, 8, speaking=1) is None
    assert protocol.item_updated(ENTRY, 7, speaking=1) == {"type": "enrollment.updated", "version": 7, "enrollment": ENROLLMENT}
    assert protocol.item_updated(ENTRY, 7, speaking=2) == {"type": "item.updated", "version": 7, **ENTRY}


def test_a_client_reads_the_same_items_from_either_protocol():
    for speaking in (1, 2):
        assert protocol.items_in(protocol.catchup(8, [ENTRY], "b", speaking)) == [ENTRY]
        assert protocol.items_in(protocol.item_updated(ENTRY, 7, speaking)) == [ENTRY]
    assert protocol.items_in(protocol.heartbeat(3)) == []


def test_the_qa_plugin_reads_items_as_the_server_means_them():
    """pytest-learnwell has its own reading of the wire (it cannot import the server)."""
    for speaking in (1, 2):
        for message in (protocol.catchup(8, [ENTRY], "b", speaking), protocol.item_updated(ENTRY, 7, speaking)):
            assert learnwell_qa.items_in(message) == protocol.items_in(message)


@pytest.mark.parametrize(
    "message",
    [
        protocol.catchup(3, [ENTRY], "3f2a9c0d1e4b", speaking=1),
        protocol.catchup(3, [ENTRY], "3f2a9c0d1e4b", speaking=2),
        protocol.catchup(0, [], "3f2a9c0d1e4b", speaking=2),
        protocol.item_updated(ENTRY, 7, speaking=1),
        protocol.item_updated(ENTRY, 7, speaking=2),
        protocol.item_updated({**ENTRY, "item": {**ENROLLMENT, "status": "failed", "failure_reason": "down"}}, 8, 2),
        protocol.heartbeat(12),
        protocol.pong("x"),
        protocol.pong(None),
        protocol.error("unknown_type", "nope"),
        protocol.error("going_away", protocol.GOING_AWAY.message, retry_after_ms=0),
    ],
)
def test_every_server_message_matches_the_asyncapi_document(message):
    CONTRACT.validate_server_message(message)


@pytest.mark.parametrize(
    "message",
    [
        {"type": "enrollment.updated", "version": 1},
        {"type": "heartbeat", "version": -1},
        {"type": "catchup", "version": 1, "enrollments": [{**ENROLLMENT, "status": "weird"}], "build": "b"},
        {"type": "catchup", "version": 1, "enrollments": []},
        {"type": "catchup", "version": 1, "items": [{**ENTRY, "item": {**ENROLLMENT, "mode": "x"}}], "build": "b"},
        {"type": "item.updated", "version": 1, "kind": "enrollment", "key": "k", "item": {"version": 1}},
        {"type": "item.updated", "version": 1, "kind": "nobody-registered-this", "key": "k", "item": {"version": 1}},
        {"type": "error", "code": "going_away", "message": "m", "retry_after_ms": -1},
        {"type": "surprise"},
    ],
)
def test_the_validator_rejects_what_the_document_does_not_allow(message):
    with pytest.raises(jsonschema.ValidationError):
        CONTRACT.validate_server_message(message)


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
        CONTRACT.validate_server_message(protocol.error(problem.code, problem.message))
    else:
        assert isinstance(message, (protocol.Hello, protocol.Ping))



def test_every_close_code_is_one_daphne_lets_an_application_send_and_is_documented():
    assert all(4000 <= code <= 4999 for code in protocol.CLOSINGS)
    documented = CONTRACT.close_codes()
    assert {code: closing.error for code, closing in protocol.CLOSINGS.items()} == {
        code: entry["error"] for code, entry in documented.items()
    }
