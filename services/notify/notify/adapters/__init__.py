"""Notify's adapters: Mongo repositories (the only pymongo users) and the SMTP sender."""

from pymongo import ASCENDING, IndexModel

TICKETS = "tickets"
TEMPLATES = "templates"
DELIVERIES = "deliveries"
DELIVERY_ATTEMPTS = "delivery_attempts"

INDEXES = {
    DELIVERIES: [
        # On MongoDB; FerretDB's SQLite backend uses only `_id` (see the tickets adapter).
        IndexModel([("ticket_id", ASCENDING), ("created_at", ASCENDING)], name="by_ticket"),
        IndexModel([("status", ASCENDING), ("created_at", ASCENDING)], name="by_status"),
    ],
}
