"""Slack's event payloads become chat messages keyed by their conversation; others are ignored."""

import pytest

from intake.domain.chat import (
    TEXT_LIMIT,
    ChatMessage,
    ChatUser,
    InvalidChatMessage,
    parse_json_object,
    slack_message,
)


def _envelope(**event: object) -> dict:
    message = {
        "type": "message",
        "channel": "D024BE91L",
        "user": "U2147483697",
        "text": "My card was charged twice",
        "ts": "1355517523.000005",
    }
    return {
        "type": "event_callback",
        "team_id": "T061EG9R6",
        "event_id": "Ev0PV52K21",
        "event": {**message, **event},
    }


def test_a_slack_message_is_keyed_by_team_channel_and_its_own_ts() -> None:
    message = slack_message(_envelope())
    assert message is not None
    assert message.event_id == "slack:Ev0PV52K21"
    assert message.user == ChatUser(id="U2147483697")
    assert message.conversation_key() == "chat:t061eg9r6:D024BE91L:1355517523.000005:U2147483697"


def test_a_reply_in_a_thread_joins_the_threads_conversation() -> None:
    reply = slack_message(_envelope(ts="1355517600.000010", thread_ts="1355517523.000005"))
    first = slack_message(_envelope())
    assert reply is not None and first is not None
    assert reply.conversation_key() == first.conversation_key()


def test_messages_of_a_direct_message_channel_are_one_conversation_without_threads() -> None:
    first = slack_message(_envelope(channel_type="im"))
    later = slack_message(_envelope(channel_type="im", ts="1355517999.000001"))
    assert first is not None and later is not None
    assert (
        first.conversation_key()
        == later.conversation_key()
        == ("chat:t061eg9r6:D024BE91L:U2147483697")
    )
    in_a_channel = slack_message(_envelope(channel="C024BE91L", ts="1355517999.000001"))
    assert in_a_channel is not None and in_a_channel.conversation_key() != first.conversation_key()


def test_someone_else_in_the_same_thread_is_another_conversation() -> None:
    pat = ChatMessage("e1", "acme", "conv-1", ChatUser("U-1", "Pat"), "hi")
    mallory = ChatMessage("e2", "acme", "conv-1", ChatUser("U-2", "Mallory"), "me too")
    assert pat.conversation_key() != mallory.conversation_key()


@pytest.mark.parametrize(
    "event",
    [
        {"subtype": "message_changed"},
        {"subtype": "message_deleted"},
        {"subtype": "bot_message"},
        {"bot_id": "B0123"},
        {"type": "reaction_added"},
        {"user": None},
    ],
)
def test_bots_edits_deletions_and_other_events_are_no_customer_message(event: dict) -> None:
    assert slack_message(_envelope(**event)) is None


@pytest.mark.parametrize(
    ("event", "named"),
    [({"text": "  "}, "event.text"), ({"channel": 7}, "event.channel"), ({"ts": ""}, "event.ts")],
)
def test_a_malformed_message_event_names_its_field(event: dict, named: str) -> None:
    with pytest.raises(InvalidChatMessage, match=named):
        slack_message(_envelope(**event))


def test_long_text_is_cut_to_the_limit_saying_so() -> None:
    message = slack_message(_envelope(text="x" * (TEXT_LIMIT + 10)))
    assert message is not None and len(message.text) <= TEXT_LIMIT
    assert message.text.startswith("x" * 4000)
    assert message.text.endswith("[cut: the message has 5,010 characters; the rest is in Slack]")


def test_text_at_the_limit_is_kept_whole() -> None:
    message = slack_message(_envelope(text="y" * TEXT_LIMIT))
    assert message is not None and message.text == "y" * TEXT_LIMIT


def test_the_workspace_compares_in_any_case() -> None:
    upper = ChatMessage("e1", "ACME", "c-1", ChatUser("u"), "hi")
    lower = ChatMessage("e2", "acme", "c-1", ChatUser("u"), "hi")
    assert upper.conversation_key() == lower.conversation_key()


@pytest.mark.parametrize(
    ("raw", "why"), [(b"{", "not JSON"), (b"[1]", "object"), (b"\xff", "JSON")]
)
def test_a_body_that_is_no_json_object_says_so(raw: bytes, why: str) -> None:
    with pytest.raises(InvalidChatMessage, match=why):
        parse_json_object(raw)
