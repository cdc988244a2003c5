from datetime import UTC, datetime, timedelta

import pytest

from intake.domain.chat_signatures import BadSignature, slack_signature, verify_slack

# The worked example of Slack's "Verifying requests from Slack" guide.
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TIMESTAMP = "1531420618"
BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect"
    b"&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554"
    b"%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SIGNED = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
SENT = datetime.fromtimestamp(int(TIMESTAMP), UTC)


def test_the_signature_is_slacks_own_for_its_worked_example() -> None:
    assert slack_signature(SECRET, TIMESTAMP, BODY) == SIGNED
    verify_slack(SECRET, TIMESTAMP, SIGNED, BODY, SENT + timedelta(minutes=4))


@pytest.mark.parametrize(
    ("timestamp", "signature", "body"),
    [
        (TIMESTAMP, SIGNED, BODY + b"x"),
        (TIMESTAMP, SIGNED[:-1] + "0", BODY),
        (TIMESTAMP, None, BODY),
        (None, SIGNED, BODY),
        ("15314206l8", SIGNED, BODY),
        (TIMESTAMP, "v0=é", BODY),
    ],
)
def test_anything_slack_did_not_sign_is_refused(timestamp, signature, body) -> None:
    with pytest.raises(BadSignature):
        verify_slack(SECRET, timestamp, signature, body, SENT)


def test_a_signature_older_than_five_minutes_is_a_replay() -> None:
    with pytest.raises(BadSignature, match="5 minutes"):
        verify_slack(SECRET, TIMESTAMP, SIGNED, BODY, SENT + timedelta(minutes=5, seconds=1))
