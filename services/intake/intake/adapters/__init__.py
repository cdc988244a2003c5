"""Intake's MongoDB repositories: the only modules that speak PyMongo."""
