"""Routing's settings: the shared base plus the background sweep."""

from pydantic import Field

from ticketflow_shared.settings import ServiceSettings


class RoutingSettings(ServiceSettings):
    service_name: str = "routing"
    sweep_seconds: float = Field(default=2.0, gt=0)
    stale_after_seconds: float = Field(default=30.0, gt=0)
    sweep_batch: int = Field(default=200, ge=1)
    offer_poll_seconds: float = Field(default=1.0, gt=0)
    sla_poll_seconds: float = Field(default=1.0, gt=0)
    sla_horizon_seconds: float = Field(default=5.0, gt=0)
    # A breach or warning claim is kept this long past its due time, then deleted; the
    # clock records it too, so a late event scheduling the same timer again finds it done.
    sla_firings_kept_days: float = Field(default=30.0, gt=0)
