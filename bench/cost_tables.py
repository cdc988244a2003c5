"""Printing costs per ticket: store round trips by service and command, CPU ms by process."""

from costs import SERVICES, Cost

# Columns in this order; processes not listed here follow in name order.
PROCESSES = (
    "intake",
    "routing",
    "notify",
    "notify workers",
    "reporting",
    "rabbitmq",
    "ferretdb",
    "smtp",
    "baseline app",
    "bench",
)


def round_trips(title: str, cost: Cost, tickets: int) -> list[str]:
    """Store round trips per ticket: one row per command, one column per service, and all;
    then those FerretDB's store layer added, what the code itself sends (what MongoDB would
    get), and the store's answer time."""
    per_service = {service: cost.by_command(service) for service in SERVICES}
    commands = sorted(
        {command for counts in per_service.values() for command in counts},
        key=lambda command: -sum(counts[command] for counts in per_service.values()),
    )

    def row(label: str, values: list[float], digits: int = 2) -> str:
        cells = [*values, sum(values)]
        return f"  {label:<15}" + "".join(f"{v / tickets:>10.{digits}f}" for v in cells)

    lines = [f"{title}: store round trips per ticket"]
    lines.append(f"  {'command':<15}" + "".join(f"{s:>10}" for s in (*SERVICES, "all")))
    for command in [*commands, "all"]:
        lines.append(
            row(
                command,
                [
                    sum(counts.values()) if command == "all" else counts[command]
                    for counts in per_service.values()
                ],
            )
        )
    lines.append(row("FerretDB layer", [sum(cost.layer.get(s, {}).values()) for s in SERVICES]))
    lines.append(row("code sends", [cost.as_code_sends(s) for s in SERVICES]))
    waited = [sum(cost.waited.get(s, {}).values()) * 1000 for s in SERVICES]
    lines.append(row("store ms", waited, digits=1))
    return lines


def cpu_per_item(cost: Cost, items: int, unit: str = "ticket") -> str:
    """CPU milliseconds per ticket (or message) for every process that was measured."""
    names = [name for name in PROCESSES if name in cost.cpu]
    names += sorted(set(cost.cpu) - set(PROCESSES))
    cells = [f"{name} {cost.cpu[name] * 1000 / items:.2f}" for name in names]
    total = sum(cost.cpu.values()) * 1000 / items
    return f"  CPU ms per {unit}: " + " | ".join(cells) + f" | all {total:.2f}"


def per_second(title: str, cost: Cost) -> list[str]:
    """Idle background work: store commands per second per service, CPU ms per second."""
    seconds = cost.seconds or 1.0
    commands = " | ".join(
        f"{service} {sum(cost.commands.get(service, {}).values()) / seconds:.1f}"
        f" ({sum(cost.waited.get(service, {}).values()) * 1000 / seconds:.0f} ms/s)"
        for service in SERVICES
    )
    cpu = " | ".join(
        f"{name} {cost.cpu[name] * 1000 / seconds:.0f}" for name in PROCESSES if name in cost.cpu
    )
    return [
        f"{title} ({seconds:.0f} s, no load): store commands/s (answer time): {commands}",
        f"  CPU ms/s: {cpu}",
    ]


def contributors(cost: Cost, tickets: int, top: int = 15) -> list[str]:
    """The (service, command, collection) with most round trips per ticket, and with most
    time waiting for the store per ticket."""
    rows = [
        (count / tickets, cost.waited[service][key] * 1000 / tickets, service, *key)
        for service, counts in cost.commands.items()
        for key, count in counts.items()
    ]
    title = f"all ticketflow runs, {tickets} tickets: round trips | store ms, per ticket"
    lines = [f"biggest store round trips ({title}):"]
    for heading, order in (("", 0), ("biggest store time (same runs):", 1)):
        if heading:
            lines.append(heading)
        for trips, ms, service, command, collection in sorted(
            rows, reverse=True, key=lambda r: r[order]
        )[:top]:
            lines.append(
                f"  {service:<10} {command:<14} {collection or '-':<20} {trips:6.2f} | {ms:7.1f}"
            )
    return lines


def callsites(cost: Cost, tickets: int, top: int = 15) -> list[str]:
    """Where in each service's code its store commands came from, most per ticket first;
    nothing when the services do not count it (`TICKETFLOW_STORE_CALLSITES=true`)."""
    lines = []
    for service in sorted(cost.callsites):
        counts = cost.callsites[service]
        if not counts:
            continue
        total = sum(counts.values()) / tickets
        lines.append(f"store round trips of {service} by call site ({total:.2f} per ticket):")
        for (command, collection, where), count in counts.most_common(top):
            lines.append(f"  {count / tickets:6.2f}  {command:<13} {collection:<20} {where}")
    return lines
