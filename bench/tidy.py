"""Put the platform back to free agents and an empty queue, by resolving what is left.

A request the bench gave up on (a timeout under overload) may still have made its ticket,
which then waits in the queue or holds an agent where no later run can resolve it by id.
Routing knows them all: `GET /queue` and every agent's `active_tickets`.
"""

import asyncio
import time

import httpx

import access

RESOLVE_AT_ONCE = 16
SHED_RETRIES = 30


async def resolve_all(intake: httpx.AsyncClient, ticket_ids: list[str]) -> None:
    slots = asyncio.Semaphore(RESOLVE_AT_ONCE)

    async def resolve(ticket_id: str) -> None:
        async with slots:
            for _ in range(SHED_RETRIES):
                response = await intake.post(
                    f"/tickets/{ticket_id}/resolve", json={"resolution": "Benchmark done."}
                )
                if response.status_code != 503:  # shed under load: wait as it says, again
                    break
                await asyncio.sleep(float(response.headers.get("retry-after", "1")))
            missing = _missing_before_solve(response)
            if missing:  # a category that wants fields first: fill them in, then resolve
                filled = await intake.patch(
                    f"/tickets/{ticket_id}", json={"fields": dict.fromkeys(missing, "benchmark")}
                )
                filled.raise_for_status()
                response = await intake.post(
                    f"/tickets/{ticket_id}/resolve", json={"resolution": "Benchmark done."}
                )
            if response.status_code not in (200, 409):  # 409: resolved already
                response.raise_for_status()

    await asyncio.gather(*(resolve(ticket_id) for ticket_id in ticket_ids))


def _missing_before_solve(response: httpx.Response) -> list[str]:
    """The fields a `422` says the ticket must have before it is solved."""
    if response.status_code != 422:
        return []
    problems = response.json().get("detail") or []
    return [
        problem["loc"][-1]
        for problem in problems
        if isinstance(problem, dict) and problem.get("type") == "missing_before_solve"
    ]


async def left_over(routing: httpx.AsyncClient) -> list[str]:
    """Tickets routing holds for an agent or keeps in its queue."""
    queue = (await routing.get("/queue", params={"limit": 1000})).json()["data"]
    agents = (await routing.get("/agents")).json()["data"]
    held = [ticket_id for agent in agents for ticket_id in agent["active_tickets"]]
    return [*held, *(entry["ticket_id"] for entry in queue)]


async def free_everyone(urls: dict[str, str], limit: float = 600) -> int:
    """Resolve every held or queued ticket until none is left; how many were resolved."""
    deadline = time.perf_counter() + limit
    resolved: set[str] = set()
    async with (
        httpx.AsyncClient(base_url=urls["intake"], timeout=60, headers=access.headers()) as intake,
        httpx.AsyncClient(
            base_url=urls["routing"], timeout=60, headers=access.headers()
        ) as routing,
    ):
        while ticket_ids := await left_over(routing):
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{len(ticket_ids)} tickets still held or queued")
            fresh = [ticket_id for ticket_id in ticket_ids if ticket_id not in resolved]
            await resolve_all(intake, fresh)
            resolved |= set(fresh)
            await asyncio.sleep(0.5)  # routing frees slots once the resolves reach it
    return len(resolved)
