"""The customers' web form in Debian's headless Chromium, against the four services running
as processes on the real servers: the categories' fields listed, a missing field caught in
the browser without a request, a submitted form (clicked twice) making one `web` ticket, and
the server's 422 shown on the page when the browser's check let the form through."""

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, Page, Request, async_playwright, expect

from credentials import admin_headers
from e2e_platform import Platform
from journey import unique_email

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FIELDS = [
    {"name": "order_id", "label": "Order number", "max_length": 20},
    {"name": "reply_to", "label": "Other address", "kind": "email"},
    {"name": "what_happened", "label": "What happened", "kind": "long_text", "max_length": 500},
]
RETURNS = {
    "label": "Returns and refunds",
    "department": "billing",
    "fields": FIELDS,
    "required_by_channel": {"web": ["order_id"]},
}


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@pytest.fixture
async def admin(module_platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=module_platform.url("intake"), headers=admin_headers(), timeout=10
    ) as http:
        assert (await http.put("/categories/returns", json=RETURNS)).status_code == 200
        yield http


@pytest.fixture
async def page(browser: Browser, module_platform: Platform, admin) -> AsyncIterator[Page]:
    context = await browser.new_context()
    opened = await context.new_page()
    await opened.goto(f"{module_platform.url('intake')}/form")
    await expect(opened.locator("#ticket-form")).to_be_visible()
    await opened.select_option("#category", "returns")
    yield opened
    await context.close()


def posts_of(page: Page) -> list[Request]:
    """Every ticket submission the page sends from now on."""
    sent: list[Request] = []
    page.on("request", lambda r: sent.append(r) if r.url.endswith("/form/tickets") else None)
    return sent


async def fill_customer(page: Page, email: str) -> None:
    await page.fill("#email", email)
    await page.fill("#subject", "The mug arrived broken")
    await page.fill("#body", "It was in pieces when I opened the box.")


async def test_the_form_lists_the_categorys_fields(page: Page):
    await expect(page.locator("#category option[value=returns]")).to_have_text(
        "Returns and refunds"
    )
    inputs = page.locator("#category-fields [data-field]")
    assert await inputs.evaluate_all("nodes => nodes.map(n => n.dataset.field)") == [
        "order_id",
        "reply_to",
        "what_happened",
    ]
    await expect(page.locator("#field-order_id")).to_have_attribute("maxlength", "20")
    await expect(page.locator("#field-reply_to")).to_have_attribute("type", "email")
    await expect(page.locator("label[for=field-what_happened]")).to_contain_text("(optional)")
    # Another category shows its own fields.
    await page.select_option("#category", "technical")
    await expect(page.locator("#category-fields [data-field]")).to_have_count(1)
    await expect(page.locator("#field-product")).to_be_visible()


async def test_a_missing_field_and_a_bad_address_are_shown_without_a_request(page: Page):
    sent = posts_of(page)
    await fill_customer(page, "ada@")
    await page.fill("#field-reply_to", "not an address")
    await page.click("#submit")

    await expect(page.locator('[data-error-for="field-order_id"]')).to_have_text(
        "Order number is required"
    )
    await expect(page.locator('[data-error-for="email"]')).to_contain_text("email address")
    await expect(page.locator('[data-error-for="field-reply_to"]')).to_have_text(
        "Other address must be an email address"
    )
    await expect(page.locator("#field-order_id")).to_have_attribute("aria-invalid", "true")
    assert sent == []


async def test_a_filled_form_clicked_twice_makes_one_web_ticket(page: Page, admin):
    email = unique_email("web-form")
    sent = posts_of(page)
    await fill_customer(page, email)
    await page.fill("#field-order_id", "A-1001")
    await page.fill("#field-what_happened", "Dropped by the courier")
    await page.dblclick("#submit")

    reference = page.locator("#reference")
    await expect(reference).to_have_text(re.compile(r"^TF-[0-9A-Z]+$"), timeout=15_000)
    ticket_id = await reference.inner_text()
    ticket = (await admin.get(f"/tickets/{ticket_id}")).json()
    assert (ticket["channel"], ticket["category"], ticket["department"]) == (
        "web",
        "returns",
        "billing",
    )
    assert ticket["fields"] == {"order_id": "A-1001", "what_happened": "Dropped by the courier"}
    assert ticket["customer"]["email"] == email
    listed = (await admin.get("/tickets", params={"customer_email": email})).json()
    assert listed["count"] == 1
    keys = {request.headers["idempotency-key"] for request in sent}
    assert len(keys) == 1 and len(sent) >= 1


async def test_the_servers_422_is_shown_when_the_browser_check_let_it_through(page: Page, admin):
    # The rule changes after the page loaded: the page does not know the new required field.
    stricter = {
        **RETURNS,
        "fields": [*FIELDS, {"name": "serial", "label": "Serial number"}],
        "required_by_channel": {"web": ["order_id", "serial"]},
    }
    assert (await admin.put("/categories/returns", json=stricter)).status_code == 200
    sent = posts_of(page)
    await fill_customer(page, unique_email("web-form"))
    await page.fill("#field-order_id", "A-1002")
    await page.click("#submit")

    await expect(page.locator("#form-errors li")).to_have_text(
        "category 'returns' requires serial", timeout=15_000
    )
    assert len(sent) == 1
    await expect(page.locator("#result")).to_be_hidden()
