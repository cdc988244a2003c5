"""The agent's desk under load: how long a public reply and a transfer take while tickets arrive.

A background sender posts new tickets on a fixed schedule (`--rate` a second) for the whole
run; meanwhile `--agents` simulated agents each work through tickets of their own: reply
publicly, then transfer billing → technical with the receiving department's checklist. Each
action is timed from the request to its answer (the change is saved and its events are in
the ticket's outbox when intake answers). A bare `GET /healthz` on intake, timed the same way
in the same run, is the baseline the actions are quoted against: what the HTTP stack, the
authentication middleware and this process cost without any ticket work.

Run the platform first (`deploy/up --detach`), then `.venv/bin/python bench/agent_actions.py`.
"""

import argparse
import asyncio
import statistics
import time
import uuid

import httpx
import tidy

import access

URLS = {"intake": "http://127.0.0.1:8001", "routing": "http://127.0.0.1:8002"}
CHECKLIST = {
    "items": [
        {"key": "identity_verified", "label": "Customer identity verified", "required": True},
        {"key": "logs_attached", "label": "Logs attached", "required": False},
    ]
}


def ticket_body(label: str) -> dict:
    return {
        "channel": "api",
        "customer": {"email": f"{label}-{uuid.uuid4().hex[:8]}@example.com", "name": "Bench"},
        "subject": "Router drops the line after the invoice change",
        "body": "Since the plan changed the line drops every hour.",
        "category": "billing",
        "fields": {"order_id": "B-1"},
    }


async def timed(samples: list[float], request) -> httpx.Response:
    started = time.perf_counter()
    response = await request
    samples.append(time.perf_counter() - started)
    return response


async def background_load(intake: httpx.AsyncClient, rate: float, stop: asyncio.Event) -> int:
    """Post `rate` tickets a second until `stop`; how many were accepted."""
    posts: list[asyncio.Task] = []
    start = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(max(0.0, start + len(posts) / rate - time.perf_counter()))
        posts.append(asyncio.create_task(intake.post("/tickets", json=ticket_body("load"))))
    answers = await asyncio.gather(*posts, return_exceptions=True)
    return sum(isinstance(a, httpx.Response) and a.status_code == 201 for a in answers)


async def agent(
    intake: httpx.AsyncClient, tickets: int, samples: dict[str, list[float]], errors: list[str]
) -> None:
    for _ in range(tickets):
        created = await intake.post("/tickets", json=ticket_body("desk"))
        if created.status_code != 201:
            errors.append(f"create {created.status_code}")
            continue
        ticket_id = created.json()["id"]
        reply = await timed(
            samples["reply"],
            intake.post(
                f"/tickets/{ticket_id}/messages",
                json={"body": "We are looking into it.", "visibility": "public"},
            ),
        )
        if reply.status_code not in (200, 201):
            errors.append(f"reply {reply.status_code} {reply.text[:120]}")
        transfer = await timed(
            samples["transfer"],
            intake.post(
                f"/tickets/{ticket_id}/transfer",
                json={
                    "department": "technical",
                    "note": "Line drops: needs the network team.",
                    "checklist": ["identity_verified"],
                },
            ),
        )
        if transfer.status_code != 200:
            errors.append(f"transfer {transfer.status_code} {transfer.text[:120]}")
        await timed(samples["baseline"], intake.get("/healthz"))


def line(name: str, samples: list[float], baseline: float) -> str:
    ordered = sorted(samples)
    if not ordered:
        return f"  {name:<9} no samples"
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000
    ratio = f"  p99 {p99 / baseline:.1f} x the baseline" if baseline else ""
    return f"  {name:<9} n={len(ordered):<5} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms{ratio}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=5.0, help="new tickets a second meanwhile")
    parser.add_argument("--agents", type=int, default=4, help="agents acting at once")
    parser.add_argument("--tickets", type=int, default=25, help="tickets each agent works")
    args = parser.parse_args()
    async with httpx.AsyncClient(
        base_url=URLS["intake"], timeout=30, headers=access.headers()
    ) as intake:
        response = await intake.put("/handoff-checklists/technical", json=CHECKLIST)
        response.raise_for_status()
        samples: dict[str, list[float]] = {"reply": [], "transfer": [], "baseline": []}
        errors: list[str] = []
        stop = asyncio.Event()
        load = asyncio.create_task(background_load(intake, args.rate, stop))
        started = time.perf_counter()
        await asyncio.gather(
            *(agent(intake, args.tickets, samples, errors) for _ in range(args.agents))
        )
        took = time.perf_counter() - started
        stop.set()
        accepted = await load
    ordered = sorted(samples["baseline"])
    baseline_p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000
    print(
        f"agent actions: {args.agents} agents x {args.tickets} tickets in {took:.1f} s, "
        f"with {args.rate:g} new tickets/s meanwhile ({accepted} accepted)"
    )
    print(line("baseline", samples["baseline"], 0))
    for name in ("reply", "transfer"):
        print(line(name, samples[name], baseline_p99))
    if errors:
        print(f"  {len(errors)} refused, e.g. {errors[:3]}")
    freed = await tidy.free_everyone(URLS)
    print(f"  tidied: {freed} tickets resolved so the next run starts empty")


if __name__ == "__main__":
    asyncio.run(main())
