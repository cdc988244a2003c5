"""Self-service: a customer who follows an acknowledgement's link reads the suggested article
and may say it solved their problem, which solves the ticket (domain/self_service.py signs
the links)."""

from dataclasses import dataclass
from typing import Protocol

from intake.adapters.kb_articles import StoredArticle
from intake.domain.self_service import InvalidLink, SelfServiceLink, SelfServiceLinks
from intake.domain.ticket import Ticket
from intake.handlers import Clock, _change, now_ms
from intake.ports import TicketRepository
from ticketflow_shared.events import TicketStatus


class ArticleSource(Protocol):
    async def get(self, article_id: str) -> StoredArticle | None: ...


class SelfServiceOff(InvalidLink):
    """Intake signs no links (no public address or secret): every link is unknown here."""


@dataclass(frozen=True)
class HelpPage:
    """What the customer's page shows: their request, the article (body None once deleted),
    and whether the request is solved or closed already."""

    token: str
    ticket_id: str
    subject: str
    title: str
    body: str | None
    done: bool


async def open_link(
    token: str,
    links: SelfServiceLinks | None,
    tickets: TicketRepository,
    articles: ArticleSource,
    clock: Clock = now_ms,
) -> HelpPage:
    _, _, page = await _opened(token, links, tickets, articles, clock)
    return page


async def solve(
    token: str,
    links: SelfServiceLinks | None,
    tickets: TicketRepository,
    articles: ArticleSource,
    clock: Clock = now_ms,
) -> HelpPage:
    """Solve the link's ticket as self-service (once: a solved or closed one stays as is)."""
    link, ticket, page = await _opened(token, links, tickets, articles, clock)
    if page.done:
        return page
    actor = f"customer:{ticket.customer.customer_id}" if ticket.customer.customer_id else "customer"

    def solved(current: Ticket) -> bool:
        return current.solve_by_self_service(link.article_id, page.title, actor=actor, now=clock())

    ticket = await _change(tickets, link.ticket_id, solved)
    return HelpPage(token, ticket.id, ticket.subject, page.title, page.body, done=True)


async def _opened(
    token: str,
    links: SelfServiceLinks | None,
    tickets: TicketRepository,
    articles: ArticleSource,
    clock: Clock,
) -> tuple[SelfServiceLink, Ticket, HelpPage]:
    """The checked link, its ticket and the page it opens (one read of the ticket)."""
    link = _checked(token, links, clock)
    ticket = await _ticket(tickets, link)
    return link, ticket, await _page(token, link, ticket, articles)


def _checked(token: str, links: SelfServiceLinks | None, clock: Clock) -> SelfServiceLink:
    if links is None:
        raise SelfServiceOff()
    return links.signer.check(token, clock())


async def _ticket(tickets: TicketRepository, link: SelfServiceLink) -> Ticket:
    ticket = await tickets.get(link.ticket_id)
    if ticket is None:
        raise InvalidLink()
    return ticket


async def _page(
    token: str, link: SelfServiceLink, ticket: Ticket, articles: ArticleSource
) -> HelpPage:
    stored = await articles.get(link.article_id)
    title = stored.article.title if stored else _suggested_title(ticket, link.article_id)
    return HelpPage(
        token,
        ticket.id,
        ticket.subject,
        title,
        stored.article.body if stored else None,
        done=ticket.status in (TicketStatus.solved, TicketStatus.closed),
    )


def _suggested_title(ticket: Ticket, article_id: str) -> str:
    """The title the ticket was offered the article under (the article is gone since)."""
    for hit in (ticket.triage or {}).get("suggestions", []):
        if hit.get("article_id") == article_id:
            return str(hit.get("title") or article_id)
    return article_id
