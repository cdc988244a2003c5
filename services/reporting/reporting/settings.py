"""Reporting's settings: the shared base plus how the dashboard behaves."""

from pydantic import Field

from ticketflow_shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    service_name: str = "reporting"
    dashboard_refresh_seconds: int = Field(default=5, ge=1, le=3600)
