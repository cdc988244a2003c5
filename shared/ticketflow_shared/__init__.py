"""What every ticketflow service agrees on: contracts, bus, outbox, store, settings, telemetry."""
