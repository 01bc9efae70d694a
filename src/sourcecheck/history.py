"""One source's captures over time -> when each quote appeared, changed or disappeared.

Captures are spread over the source's whole history (a capture whose bytes repeat the one
before it is skipped), read oldest first, and each quote is matched in each, then in the live
page. A change is a quote's verdict changing between two readable copies, or its passage
changing while it stays altered.
"""

from __future__ import annotations

from .archive import Archive, spread
from .extract import page_text
from .fetch import Fetcher
from .match import match_quote, normalize
from .models import (
    ArchiveMiss,
    Change,
    History,
    Match,
    Page,
    Snapshot,
    Source,
    SourceStatus,
    Step,
    Text,
    Verdict,
)
from .states import page_state, probe_url, wants_probe


def _step(snapshot: Snapshot | None, source: Source, page: Page) -> Step:
    """A copy's Step: every quote matched in it, or why it could not be read."""
    text = page_text(page.body, page.content_type)
    if isinstance(text, str):
        return Step(snapshot, reason=text)
    return Step(snapshot, _match_text(source, text))


def _match_text(source: Source, text: Text) -> tuple[Match, ...]:
    hay = normalize(text.text)
    return tuple(match_quote(q.text, text, hay) for q in source.quotes)


def changes(steps: list[Step], quotes: int) -> list[Change]:
    """Every change of every quote across readable steps, in order of step."""
    out: list[Change] = []
    for q in range(quotes):
        before: Match | None = None
        for i, step in enumerate(steps):
            if not step.matches:
                continue
            now = step.matches[q]
            present = now.verdict is Verdict.VERIFIED
            if before is None:
                out.append(Change(q, i, "present" if present else "absent", now))
            elif present and before.verdict is not Verdict.VERIFIED:
                out.append(Change(q, i, "appeared", now))
            elif now.verdict is Verdict.ALTERED and (
                before.verdict is Verdict.VERIFIED or before.passage != now.passage
            ):
                out.append(Change(q, i, "changed", now))
            elif now.verdict is Verdict.NOT_FOUND and before.verdict is not Verdict.NOT_FOUND:
                out.append(Change(q, i, "disappeared", now))
            before = now
    return sorted(out, key=lambda c: (c.step, c.quote))


async def history(
    source: Source, fetcher: Fetcher, archives: list[Archive], max_captures: int
) -> History:
    """The history of a source's quotes in ``archives`` and on the live page."""
    snapshots: list[Snapshot] = []
    reasons: list[str] = []
    if source.url:
        for archive in archives:
            found = await archive.timeline(source.url, max_captures)
            if isinstance(found, ArchiveMiss):
                reasons.append(f"{archive.base_url}: {found.reason}")
            else:
                snapshots += found
    by_time = sorted({s.timestamp: s for s in snapshots}.values(), key=lambda s: s.timestamp or "")
    snapshots = spread(by_time, max_captures)
    readers = {
        s.raw_url: a for a in archives for s in snapshots if s.raw_url.startswith(a.base_url)
    }

    steps: list[Step] = []
    for snapshot in snapshots:
        page = await readers[snapshot.raw_url].read(snapshot)
        if isinstance(page, Page):
            steps.append(_step(snapshot, source, page))
        else:
            steps.append(Step(snapshot, reason=page.reason))
    if source.url:
        live = await fetcher.fetch(source.url)
        if isinstance(live, Page):
            # As in verify: a bot wall or a "not found" page answered 200 is no copy of the source.
            probe = await fetcher.probe(probe_url(live.url)) if wants_probe(live) else None
            state, why = page_state(live, probe)
            if state in (SourceStatus.SOFT_404, SourceStatus.BLOCKED):
                steps.append(Step(None, reason=f"{state.value}: {why}"))
            else:
                steps.append(_step(None, source, live))
        else:
            steps.append(Step(None, reason=live.reason))
    reason = None if snapshots else ("; ".join(reasons) or "no URL to look up")
    return History(source, tuple(steps), tuple(changes(steps, len(source.quotes))), reason)
