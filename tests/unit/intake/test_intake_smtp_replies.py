"""What the SMTP listener answers an MTA for each outcome of the inbox (no sockets)."""

from types import SimpleNamespace

from pymongo.errors import ServerSelectionTimeoutError

from intake.adapters.email_parser import MalformedEmail
from intake.email_inbox import Dropped, EmailReceived
from intake.smtp_listener import InboxHandler


class Inbox:
    def __init__(self, outcome) -> None:
        self.outcome = outcome

    async def take(self, raw: bytes):
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


async def reply(outcome) -> str:
    envelope = SimpleNamespace(original_content=b"From: a@example.com\r\n\r\nhi\r\n")
    return await InboxHandler(Inbox(outcome)).handle_DATA(None, None, envelope)


def received(threaded: bool, replayed: bool) -> EmailReceived:
    ticket = SimpleNamespace(id="TF-0123456789AB")
    return EmailReceived(ticket, None, replayed, threaded, ())


async def test_taken_mail_is_250_naming_where_it_went():
    assert await reply(received(False, False)) == "250 2.0.0 ticket TF-0123456789AB"
    assert await reply(received(True, True)) == "250 2.0.0 threaded TF-0123456789AB (already taken)"
    assert await reply(Dropped("Precedence: bulk")) == "250 2.0.0 dropped: Precedence: bulk"


async def test_unreadable_mail_is_refused_for_good():
    answer = await reply(MalformedEmail("no sender address\nin From"))
    assert answer == "550 5.6.0 no sender address in From"


async def test_a_store_away_or_a_fault_of_ours_makes_the_mta_retry():
    assert (await reply(ServerSelectionTimeoutError("no servers"))).startswith("451 4.3.0 ")
    assert (await reply(TimeoutError())).startswith("451 4.3.0 ")
    assert (await reply(RuntimeError("bug"))).startswith("451 4.3.0 ")
