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
    """Store round trips per ticket: one row per command, one column per service, and all."""
    per_service = {service: cost.by_command(service) for service in SERVICES}
    commands = sorted(
        {command for counts in per_service.values() for command in counts},
        key=lambda command: -sum(counts[command] for counts in per_service.values()),
    )
    lines = [f"{title}: store round trips per ticket"]
    lines.append(f"  {'command':<15}" + "".join(f"{s:>10}" for s in (*SERVICES, "all")))
    for command in [*commands, "all"]:
        values = [
            sum(counts.values()) if command == "all" else counts[command]
            for counts in per_service.values()
        ]
        cells = [*values, sum(values)]
        lines.append(f"  {command:<15}" + "".join(f"{v / tickets:>10.2f}" for v in cells))
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
        for service in SERVICES
    )
    cpu = " | ".join(
        f"{name} {cost.cpu[name] * 1000 / seconds:.0f}" for name in PROCESSES if name in cost.cpu
    )
    return [
        f"{title} ({seconds:.0f} s, no load): store commands/s: {commands}",
        f"  CPU ms/s: {cpu}",
    ]


def contributors(cost: Cost, tickets: int, top: int = 15) -> list[str]:
    """The biggest (service, command, collection) round trips per ticket."""
    rows = [
        (count / tickets, service, command, collection)
        for service, counts in cost.commands.items()
        for (command, collection), count in counts.items()
    ]
    rows.sort(reverse=True)
    lines = [f"biggest store round trips per ticket (all ticketflow runs, {tickets} tickets):"]
    lines += [
        f"  {service:<10} {command:<14} {collection or '-':<20} {per:6.2f}"
        for per, service, command, collection in rows[:top]
    ]
    return lines
