"""(a source's quotes, a Page) -> QuoteResults: the page's text, then each quote matched in it;
and for a live page, what state it is in.

The part of a run that needs the CPU and no network: ``verify.Matcher`` runs it in worker
processes for a run of many sources, so this module imports only the stages it needs (no HTTP
client, no sources loader), and the workers start fast.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .extract import hidden_texts, main_text, page_text
from .match import Normalized, match_quote, norm, normalize
from .models import Page, QuoteResult, Snapshot, Source, SourceStatus, Text, Verdict, Where
from .states import page_state, wants_probe

Found = dict[int, QuoteResult] | str  # each quote's result, or why the page cannot be read


@dataclass(frozen=True)
class Looked:
    """A live page looked at: whether its state needs the host's answer to a made-up URL (then
    ``state`` is without it), its state, and the quotes matched in it."""

    wants_probe: bool
    state: tuple[SourceStatus, str | None]
    found: Found


def look_at(source: Source, page: Page, todo: list[int]) -> Looked:
    """A live page's state (``states.page_state``, without the probe) and the quotes ``todo``
    matched in it, in one call: the caller drops the matches when the state says the page is
    not the one cited."""
    return Looked(
        wants_probe(page), page_state(page, None), match_page(source, page, Where.LIVE, None, todo)
    )


def ready() -> None:
    """Import what matching a page will need (trafilatura is slow to import): a worker does it
    when it starts, while the run's first pages are still being fetched."""
    import trafilatura  # noqa: F401


def match_page(
    source: Source, page: Page, where: Where, snapshot: Snapshot | None, todo: list[int]
) -> Found:
    """Match the quotes ``todo`` in a page: its visible text first, then the text a reader gets
    that the visible DOM lacks (JSON-LD, og:description, noscript); say for each verified
    passage whether it lies in the article's main text, and on which page of a PDF. A page
    that cannot be read (a PDF without a text layer, encrypted, damaged) gives why."""
    text = page_text(page.body, page.content_type)
    if isinstance(text, str):
        return text
    hay = normalize(text.text)
    hidden: list[tuple[Text, Normalized]] | None = None
    main: str | None = None
    main_norm: Normalized | None = None
    main_read = False
    out: dict[int, QuoteResult] = {}
    for i in todo:
        quote = source.quotes[i]
        m = match_quote(quote.text, text, hay)
        if m.verdict is not Verdict.VERIFIED:
            if hidden is None:
                hidden = [
                    (t, normalize(t.text)) for t in hidden_texts(page.body, page.content_type)
                ]
            for other, other_hay in hidden:
                found = match_quote(quote.text, other, other_hay)
                if found.verdict is Verdict.VERIFIED:
                    m = replace(found, found_in=other.kind)
                    break
        if m.verdict is Verdict.VERIFIED and m.found_in == "visible" and m.passage:
            if not main_read:
                found_main = main_text(page.body, page.content_type)
                main, main_read = (" ".join(found_main.split()) if found_main else None), True
            if main is not None:
                # The page's own words are most often in the main text as they are; only when
                # they are not is the main text normalized to look again.
                inside = " ".join(m.passage.split()) in main
                if not inside:
                    main_norm = main_norm or normalize(main)
                    inside = norm(m.passage).strip() in main_norm.text
                m = replace(m, in_main=inside)
        if text.pages and m.start is not None:
            m = replace(m, page=text.page_of(m.start))
        out[i] = QuoteResult(source.id, quote, m.verdict, where, snapshot, m)
    return out
