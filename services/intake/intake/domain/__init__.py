"""Intake's pure model: tickets, category rules, idempotency keys. No I/O here."""
