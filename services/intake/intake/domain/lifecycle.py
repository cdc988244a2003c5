"""The ticket lifecycle as one table: which status may follow which (pure).

`new` -> `open` (an agent owns it) <-> `pending` (waiting on the customer) <-> `on_hold`
(waiting on a third party or another department) -> `solved` -> `closed`. A new ticket may be
solved at once (answered before routing found an agent); a solved one may be opened again
(a reopen); `closed` is final: what the customer writes then starts a follow-up ticket.
Staying in the same status is not a transition. `queued` is routing's view, never intake's.
"""

from intake.domain.errors import IllegalTransition, TooManyChanges
from ticketflow_shared.events import TicketStatus

S = TicketStatus
# Status changes one ticket keeps in its history (each with a reason of up to 2,000
# characters, about 11 KB sealed): at most about 2.2 MB of the 16 MB a document may hold.
MAX_STATUS_CHANGES = 200
LIFECYCLE: tuple[TicketStatus, ...] = (S.new, S.open, S.pending, S.on_hold, S.solved, S.closed)

ALLOWED: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.new: frozenset({S.open, S.solved}),
    S.open: frozenset({S.pending, S.on_hold, S.solved}),
    S.pending: frozenset({S.open, S.on_hold, S.solved}),
    S.on_hold: frozenset({S.open, S.pending, S.solved}),
    S.solved: frozenset({S.open, S.closed}),
    S.closed: frozenset(),
}


def may_become(current: TicketStatus, wanted: TicketStatus) -> bool:
    return wanted in ALLOWED.get(current, frozenset())


def check_transition(ticket_id: str, current: TicketStatus, wanted: TicketStatus) -> None:
    if not may_become(current, wanted):
        raise IllegalTransition(ticket_id, current.value, wanted.value)


def is_reopen(current: TicketStatus, wanted: TicketStatus) -> bool:
    return current is S.solved and wanted is S.open


def check_room(ticket_id: str, changes_so_far: int) -> None:
    if changes_so_far >= MAX_STATUS_CHANGES:
        raise TooManyChanges(ticket_id, MAX_STATUS_CHANGES)
