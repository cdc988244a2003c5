"""Intake apps for the integration tests: the namespace's settings plus a test's overrides."""

from fastapi import FastAPI

from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import Namespace


def intake_app(namespace: Namespace, **overrides: object) -> FastAPI:
    return create_app(namespace.settings(IntakeSettings, "intake", **overrides))
