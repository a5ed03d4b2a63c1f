"""Mouse and keyboard moves the browser tests share."""

from __future__ import annotations

from typing import Any

from tests.e2e.canvas.conftest import Studio


def center(locator: Any) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not on screen"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag(page: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Press, move in small steps, release: what a person's mouse does."""
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=12)
    page.mouse.up()


def place(page: Any, node_type: str, x: float, y: float) -> str:
    """Drag a node type from the palette to (x, y) in the canvas; returns the new node's id."""
    before = set(page.locator("#canvas .node").evaluate_all("els => els.map(e => e.dataset.id)"))
    canvas = page.locator("#canvas").bounding_box()
    item = page.locator(f'.palette-item[data-type="{node_type}"]')
    drag(page, center(item), (canvas["x"] + x, canvas["y"] + y))
    page.wait_for_function(
        "n => document.querySelectorAll('#canvas .node').length > n", arg=len(before)
    )
    after = set(page.locator("#canvas .node").evaluate_all("els => els.map(e => e.dataset.id)"))
    (added,) = after - before
    return str(added)


def connect(page: Any, source: str, target: str, handle: str = "") -> None:
    """Drag from a node's output handle onto another node."""
    edges = page.locator("#canvas g.edge").count()
    out = page.locator(f'#node-{source} > .handle.out[data-handle="{handle}"]')
    if handle:
        out = page.locator(f'#node-{source} > .node-handles .handle.out[data-handle="{handle}"]')
    drag(page, center(out), center(page.locator(f"#node-{target} > .node-head")))
    page.wait_for_function("n => document.querySelectorAll('#canvas g.edge').length > n", arg=edges)


def select(page: Any, node_id: str) -> None:
    """Click a node's header and wait for its settings in the side panel."""
    page.locator(f"#node-{node_id} > .node-head").click()
    page.wait_for_selector(f'#panel .panel-head[data-node="{node_id}"]')


def wait_saved(page: Any) -> None:
    """Until the canvas and the side panel have saved everything."""
    page.wait_for_function(
        "() => ['Saved', 'Saved.', 'Undone'].includes("
        "document.getElementById('save-state').textContent.trim())"
        " && !document.querySelector('#node-form.htmx-request')"
    )


def add_provider(page: Any, studio: Studio, provider_id: str = "fake") -> None:
    """Settings → model providers: an OpenAI-compatible provider on the fake server."""
    page.goto(f"{studio.url}/settings")
    if page.locator(f"#providers code:text-is('{provider_id}')").count():
        return
    page.get_by_label("ID", exact=True).fill(provider_id)
    page.get_by_label("Kind").select_option("openai")
    page.get_by_label("Base URL").fill(studio.model.base_url)
    page.get_by_label("API key").fill("sk-fake")
    page.get_by_role("button", name="Save provider").click()
    page.wait_for_selector(f"#providers code:text-is('{provider_id}')")
