"""A URL -> the page a headless Chromium draws: for pages whose text only their scripts write.

Optional: it needs the ``render`` extra (Playwright) and a Chromium on this machine. Playwright's
own browser download is not used: the browser is the one at ``SOURCECHECK_CHROMIUM``, or the
first of ``chromium``, ``chromium-browser``, ``google-chrome`` on the PATH (Debian's ``chromium``
package works). Every request the browser makes, the page's scripts and images included, goes
through the same address guard as the fetcher: a page cannot make the browser reach a private,
loopback or link-local address unless ``allow_private`` is set.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from urllib.parse import urlsplit

from .fetch import USER_AGENT, is_public_address
from .models import Page, SourceStatus, Unavailable

# Chromium runs here as root, in a sandbox of our own making, and must not phone home.
_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str | None:
    """The Chromium to use, or None."""
    named = os.environ.get("SOURCECHECK_CHROMIUM")
    if named:
        return named if os.path.exists(named) else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


async def _allowed(url: str, allow_private: bool) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if allow_private:
        return True
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, None)
    except OSError:
        return False
    return all(is_public_address(str(info[4][0])) for info in infos)


async def render(
    url: str, *, timeout: float = 30.0, allow_private: bool = False, chromium: str | None = None
) -> Page | Unavailable:
    """The page as Chromium draws it, after its scripts ran, as an HTML Page."""
    try:
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import Route, async_playwright
    except ImportError:
        reason = "rendering needs the render extra: pip install 'sourcecheck[render]'"
        return Unavailable(url, SourceStatus.ERROR, reason)
    browser_path = chromium or find_chromium()
    if browser_path is None:
        reason = "no Chromium to render with: install one or set SOURCECHECK_CHROMIUM"
        return Unavailable(url, SourceStatus.ERROR, reason)

    async def guard(route: Route) -> None:
        if await _allowed(route.request.url, allow_private):
            await route.continue_()
        else:
            await route.abort("addressunreachable")

    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=browser_path, args=_ARGS)
            try:
                context = await browser.new_context(user_agent=USER_AGENT)
                page = await context.new_page()
                await page.route("**/*", guard)
                answer = await page.goto(url, wait_until="networkidle", timeout=timeout * 1000)
                html = await page.content()
                status = answer.status if answer is not None else 200
                return Page(url, page.url, status, "text/html; charset=utf-8", html.encode())
            finally:
                await browser.close()
    except PlaywrightError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return Unavailable(url, SourceStatus.ERROR, f"rendering failed: {first}")
    except (OSError, socket.gaierror) as exc:
        return Unavailable(url, SourceStatus.ERROR, f"rendering failed: {exc}")
