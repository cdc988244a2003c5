"""Intake's settings: the shared base plus what only the front door needs."""

from ticketflow_shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    # Off for a deployment whose operators manage every category through the API.
    seed_default_categories: bool = True
