"""Notify's pure model: the ticket read model, message templates and deliveries."""
