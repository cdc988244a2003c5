"""HTTP shapes: how requests become commands, and what the service layer must not depend on."""

import subprocess
import sys

import pytest
from pydantic import TypeAdapter, ValidationError

from routing.domain import RegisterAgent, ReviseAgent, SetRule
from routing.schemas import AgentCreate, AgentUpdate, RuleUpdate, SkillQuery
from ticketflow_shared.events import Presence

SKILL_QUERY = TypeAdapter(SkillQuery)


@pytest.mark.parametrize("raw", ["!", "-", "$", "", "  ", "..."])
def test_a_skill_filter_with_nothing_left_after_normalising_is_refused(raw: str):
    with pytest.raises(ValidationError, match="needs a letter or digit"):
        SKILL_QUERY.validate_python(raw)


def test_a_skill_filter_is_matched_as_skills_are_stored():
    assert SKILL_QUERY.validate_python(" Tier 2 ") == "tier_2"
    assert SKILL_QUERY.validate_python(None) is None


def test_a_create_request_becomes_a_register_command_with_the_defaults_filled_in():
    command = AgentCreate(name=" Ann ", skills={"Billing": 4}).command()
    assert command == RegisterAgent(
        name="Ann",
        department="general",
        skills={"billing": 4},
        capacity=1,
        presence=Presence.available,
    )


def test_an_update_request_revises_only_the_fields_sent():
    command = AgentUpdate(capacity=3, skills={"Tier 2": 2}).command("ann")
    assert command == ReviseAgent(agent_id="ann", changes={"capacity": 3, "skills": {"tier_2": 2}})


def test_a_rule_request_names_its_category():
    assert RuleUpdate(skill="Payments", min_level=4).command("VIP") == SetRule(
        category="VIP", skill="payments", min_level=4
    )


def test_handlers_and_views_do_not_depend_on_the_http_layer():
    probe = (
        "import sys, routing.handlers, routing.views, routing.assigning\n"
        "http = ('routing.schemas', 'routing.api', 'fastapi')\n"
        "print(sorted(name for name in http if name in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
