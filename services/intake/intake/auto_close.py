"""The automatic close of solved tickets: a periodic job on the process's scheduler.

Several intake processes may run it at once. On MongoDB the save's compare-and-set on the
ticket's version would be enough; on FerretDB 1.x it is not across processes (an update is a
read and a write back there), and only an insert under a unique key is atomic. So a process
first claims the close of the ticket at the version it read, with one insert keyed by both;
whoever inserts first closes, and the others skip it. A claim left by a process that died
before its save is taken over once it is `CLAIM_LEASE` old, under the next attempt's key.
"""

import logging
from datetime import datetime, timedelta

from intake.domain.errors import ConcurrentUpdate
from intake.ports import CloseClaims, TicketRepository
from ticketflow_shared.scheduling import Scheduler

log = logging.getLogger(__name__)
AUTO_CLOSE = "intake.auto-close"
CLOSE_BATCH = 100
CLAIM_LEASE = timedelta(minutes=10)
# A claim outlives any process that read its ticket's version by far after this long.
CLAIMS_KEPT = timedelta(days=1)


async def close_due(
    tickets: TicketRepository,
    claims: CloseClaims,
    now: datetime,
    after: timedelta,
    limit: int = CLOSE_BATCH,
) -> int:
    """Close tickets solved at least `after` ago, each once whoever else tries; how many this
    call closed."""
    cutoff = now - after
    closed = 0
    for ticket_id in await tickets.due_to_close(cutoff, limit):
        closed += await _close(tickets, claims, ticket_id, cutoff, now)
    return closed


async def _close(
    tickets: TicketRepository, claims: CloseClaims, ticket_id: str, cutoff: datetime, now: datetime
) -> bool:
    ticket = await tickets.get(ticket_id)
    if ticket is None:
        return False
    loaded_at = ticket.version
    if not ticket.close_if_solved_by(cutoff, now):
        return False
    if not await claims.claim(ticket_id, loaded_at, now, CLAIM_LEASE):
        return False
    try:
        await tickets.save(ticket, loaded_at)
    except ConcurrentUpdate:  # changed meanwhile (a reopen); a later pass looks again
        log.info("ticket %s changed while closing; leaving it", ticket_id)
        return False
    return True


def schedule_auto_close(
    scheduler: Scheduler,
    tickets: TicketRepository,
    claims: CloseClaims,
    *,
    after_seconds: float,
    every_seconds: float,
) -> None:
    after = timedelta(seconds=after_seconds)

    async def run() -> None:
        now = _to_ms(scheduler.clock.now())
        while await close_due(tickets, claims, now, after) == CLOSE_BATCH:
            continue
        await claims.forget_before(now - CLAIMS_KEPT)

    scheduler.every(AUTO_CLOSE, every_seconds, run, first_in=every_seconds)


def _to_ms(now: datetime) -> datetime:
    # BSON dates keep milliseconds; the event and every later read show the same instant.
    return now.replace(microsecond=now.microsecond - now.microsecond % 1000)
