"""An in-memory macro store, the people who use macros, and an HTTP app with both."""

import dataclasses

from fastapi import FastAPI
from handoff_fakes import FakeChecklists, FakeHandoffViews
from intake_fakes import BILLING, GENERAL, FakeCategories, FakeTickets

from credentials import act_as
from intake.bootstrap import install_api, install_macros
from intake.domain.macros import Macro
from intake.handoffs_api import install_handoffs
from ticketflow_shared.access.principal import Principal, Role


class FakeMacros:
    def __init__(self) -> None:
        self.stored: dict[str, Macro] = {}

    async def get(self, macro_id: str) -> Macro | None:
        return self.stored.get(macro_id)

    async def all(self) -> list[Macro]:
        return [self.stored[key] for key in sorted(self.stored)]

    async def put(self, macro: Macro) -> bool:
        created = macro.id not in self.stored
        self.stored[macro.id] = dataclasses.replace(macro)
        return created

    async def delete(self, macro_id: str) -> bool:
        return self.stored.pop(macro_id, None) is not None


def person(name: str, role: Role, *departments: str) -> Principal:
    return Principal(
        id=name,
        kind="user",
        roles=frozenset({role}),
        departments=frozenset(departments),
        name=name.title(),
    )


BILLING_SUPERVISOR = person("sue", Role.supervisor, "billing")
ANA = person("ana", Role.agent, "billing")
CARLA = person("carla", Role.agent, "technical")
BILLING_VIEWER = person("vic", Role.viewer, "billing")


def macro_app(tickets: FakeTickets, macros: FakeMacros) -> FastAPI:
    app = FastAPI()
    install_api(app, tickets, FakeCategories(BILLING, GENERAL))
    install_handoffs(app, FakeChecklists(), FakeHandoffViews(tickets))
    install_macros(app, macros)
    act_as(app)
    return app
