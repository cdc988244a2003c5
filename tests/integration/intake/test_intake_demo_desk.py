"""deploy/demo_data.py's desk data against an intake service on a real port: checklists,
procedures and macros are added where missing and never reset."""

import asyncio
import importlib.util
from pathlib import Path

import httpx
import pytest

from credentials import admin_headers, token
from intake.bootstrap import create_app
from intake.settings import IntakeSettings
from support import Namespace, served_on_port

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).resolve().parents[3] / "deploy" / "demo_data.py"
spec = importlib.util.spec_from_file_location("demo_data_desk", SCRIPT)
assert spec is not None and spec.loader is not None
demo_data = importlib.util.module_from_spec(spec)
spec.loader.exec_module(demo_data)


async def load_desk(url: str) -> dict[str, str]:
    # The script blocks on urllib; in a thread, so the server in this loop keeps serving.
    return await asyncio.to_thread(demo_data.load_desk, url, token("admin"))


async def test_desk_demo_data_is_added_once_and_an_operators_changes_are_kept(
    namespace: Namespace,
) -> None:
    app = create_app(namespace.settings(IntakeSettings, "intake"))
    async with (
        served_on_port(app) as url,
        httpx.AsyncClient(base_url=url, headers=admin_headers()) as http,
    ):
        first = await load_desk(url)
        assert set(first.values()) == {"created"}
        loaded = (demo_data.CHECKLISTS, demo_data.PROCEDURES, demo_data.MACROS, demo_data.ARTICLES)
        assert len(first) == sum(map(len, loaded))
        articles = (await http.get("/kb/articles")).json()["data"]
        assert sorted(a["id"] for a in articles) == sorted(demo_data.ARTICLES)
        technical = (await http.get("/handoff-checklists/technical")).json()
        assert [item["key"] for item in technical["items"]] == [
            item["key"] for item in demo_data.CHECKLISTS["technical"]["items"]
        ]
        created = await http.post(
            "/tickets",
            json={
                "channel": "web",
                "customer": {"email": "pat@example.com", "name": "Pat"},
                "subject": "Charged twice",
                "body": "Two charges on my invoice.",
                "category": "billing",
                "fields": {"order_id": "A-1001"},
            },
        )
        ticket = created.json()
        assert [step["key"] for step in ticket["procedure"]["steps"]] == [
            step["key"] for step in demo_data.PROCEDURES["billing"]
        ]
        preview = await http.post(f"/tickets/{ticket['id']}/macros/ask-order-details/preview")
        assert preview.status_code == 200, preview.text
        assert "A-1001" in preview.json()["reply"]["body"]

        changed = await http.put(
            "/macros/refund-done",
            json={"title": "Refund issued (edited)", "add_tags": ["refund"]},
        )
        assert changed.status_code == 200, changed.text

        assert set((await load_desk(url)).values()) == {"kept"}
        macro = (await http.get("/macros/refund-done")).json()
        assert macro["title"] == "Refund issued (edited)"
