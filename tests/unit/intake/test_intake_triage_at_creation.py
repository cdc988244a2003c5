"""Triage at ticket creation with in-memory stores: which category, priority, tags and
department a ticket opens with, and what it records."""

from dataclasses import dataclass

from intake_fakes import BILLING, GENERAL, FakeCategories, FakeClock, FakeTickets, create_command
from triage_fakes import EXAMPLES

from intake import handlers
from intake.adapters.classifier_training import fit
from intake.domain.categories import CategoryRule
from intake.domain.triage_config import Classifier, RuleSet, TriageConfig
from intake.domain.triage_rules import TriageRule
from intake.triage_step import Triager
from ticketflow_shared.events import Priority, TicketCreatedV1, TicketEscalatedV1

ACCOUNT = CategoryRule("account", (), Priority.normal, "accounts")
TECHNICAL = CategoryRule("technical", ("product",), Priority.normal, "technical")
VIP = TriageRule.model_validate(
    {
        "name": "vip",
        "when": {"kind": "tier", "any_of": ["gold"]},
        "then": {"priority": "urgent", "tags": ["vip"], "department": "vip-desk"},
    }
)
LOGIN = TriageRule.model_validate(
    {
        "name": "login",
        "when": {"kind": "contains", "value": "password"},
        "then": {"category": "account"},
    }
)


@dataclass
class FixedSource:
    config: TriageConfig

    async def current(self) -> TriageConfig:
        return self.config


def triager(*rules: TriageRule, classifier: Classifier | None = None) -> Triager:
    return Triager(FixedSource(TriageConfig(RuleSet(3, list(rules)), classifier)))


async def opened(command, triage: Triager | None):
    """The new ticket, with the events its creation published back on it."""
    tickets = FakeTickets()
    categories = FakeCategories(BILLING, GENERAL, ACCOUNT, TECHNICAL)
    created = await handlers.create_ticket(
        command, tickets, categories, FakeClock(), triager=triage
    )
    created.ticket.events = list(tickets.published)
    return created.ticket


async def test_a_rule_picks_the_category_the_client_left_open():
    ticket = await opened(
        create_command(category=None, subject="Reset", body="My password fails"), triager(LOGIN)
    )

    assert (ticket.category, ticket.department, ticket.priority) == (
        "account",
        "accounts",
        Priority.normal,
    )
    assert ticket.triage["fired"] == [{"rule": "login", "why": ["text contains 'password'"]}]
    assert ticket.triage["rules_version"] == 3
    [created] = ticket.events
    assert isinstance(created, TicketCreatedV1) and created.category == "account"


async def test_a_rule_sets_priority_tags_and_department_on_the_created_event():
    ticket = await opened(create_command(customer_tier="gold"), triager(VIP))

    assert (ticket.category, ticket.priority, ticket.department) == (
        "billing",
        Priority.urgent,
        "vip-desk",
    )
    assert ticket.tags == ["vip"]
    [created] = ticket.events
    assert (created.priority, created.department) == (Priority.urgent, "vip-desk")


async def test_without_a_triager_creation_is_as_before():
    ticket = await opened(create_command(), None)

    assert (ticket.category, ticket.priority, ticket.triage, ticket.tags) == (
        "billing",
        Priority.high,
        None,
        [],
    )


async def test_an_angry_new_ticket_is_raised_and_records_one_escalation():
    command = create_command(body="This is UNACCEPTABLE, the worst, I am furious!!")

    ticket = await opened(command, triager())

    assert ticket.priority is Priority.urgent  # billing's high, one step up
    created, escalated = ticket.events
    assert isinstance(escalated, TicketEscalatedV1)
    assert (escalated.source, escalated.trigger, escalated.priority) == (
        "intake",
        "emotion",
        Priority.urgent,
    )
    assert ticket.version == 2 and created.priority is Priority.urgent


async def test_a_confident_classifier_sets_the_category_an_unsure_one_asks_a_person():
    model = fit(EXAMPLES)
    sure = Classifier(1, model, {"account": 8, "billing": 8, "technical": 8}, 0.9, threshold=0.3)
    unsure = Classifier(1, model, sure.samples, 0.9, threshold=0.99)
    text = {"category": None, "subject": "忘记密码了", "body": "账号登录不了", "fields": {}}

    applied = await opened(create_command(**text), triager(classifier=sure))
    asked = await opened(create_command(**text), triager(classifier=unsure))

    assert applied.category == "account"
    assert applied.triage["category"]["by"] == "classifier"
    assert applied.triage["proposal"]["applied"] is True
    assert (asked.category, asked.tags) == ("general", ["needs_triage"])
    assert asked.triage["proposal"]["category"] == "account"


async def test_the_classifier_is_not_asked_when_the_client_chose():
    model = fit(EXAMPLES)
    sure = Classifier(1, model, {"account": 8, "billing": 8}, 0.9, threshold=0.0)

    ticket = await opened(create_command(subject="密码"), triager(classifier=sure))

    assert (ticket.category, ticket.triage["proposal"]) == ("billing", None)


def test_a_channels_fallback_category_hashes_as_its_category_did():
    old = create_command(category="general", fields={})
    new = create_command(category=None, fallback_category="general", fields={})

    assert old.fingerprint() == new.fingerprint()


async def test_more_rule_tags_than_a_ticket_holds_keep_the_first_and_the_ticket():
    many = [
        TriageRule.model_validate(
            {
                "name": f"tagger-{n}",
                "rank": n,
                "when": {"kind": "contains", "value": "order"},
                "then": {"tags": [f"t{n}-{k}" for k in range(10)]},
            }
        )
        for n in range(3)
    ]

    ticket = await opened(create_command(), triager(*many))

    assert len(ticket.tags) == 20
    assert ticket.tags[0] == "t0-0" and "t2-0" not in ticket.tags
