"""The labelled articles of tests/articles: the extractor keeps its measured accuracy.

The figures themselves are printed by ``python benchmarks/extraction.py``; this guards them from
falling below the targets (span F1 and attribution accuracy >= 95%, the seed article in full).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import extraction  # noqa: E402

SETS = extraction.labelled_set()


def test_the_set_has_every_format_and_enough_articles() -> None:
    suffixes = sorted({path.suffix for _, path, _, _ in SETS})
    assert suffixes == [".html", ".md", ".txt"]
    assert len(SETS) >= 30


@pytest.mark.parametrize(("name", "path", "labels", "sources"), SETS, ids=[s[0] for s in SETS])
def test_labels_are_consistent(name: str, path: Path, labels: Path, sources: Path | None) -> None:
    import re
    from html import unescape

    doc = extraction._yaml(labels)
    text = path.read_text(encoding="utf-8")
    flat = " ".join(
        unescape(re.sub(r"<[^>]+>", " ", text) if path.suffix == ".html" else text).split()
    )
    flat = flat.replace("> ", "")
    ids = {s["id"] for s in extraction._yaml(sources)["sources"]} if sources else set()
    for q in doc["quotes"]:
        assert q["kind"] in ("quote", "block")
        source = q.get("source")
        assert source is None or source in ids or str(source).startswith(("ref:", "http")), q
        words = re.findall(r"\w+", q["text"])
        assert all(w in flat for w in words), q["text"]


def test_the_extractor_meets_its_targets() -> None:
    scores = extraction.run()
    total = scores["all"]
    _, _, f1 = total.span(total.exact)
    assert f1 >= extraction.TARGET_F1, total.misses
    assert total.attribution >= extraction.TARGET_ATTRIBUTION, total.misses


@pytest.mark.skipif(
    not extraction.SEED.is_file(),
    reason="the seed article (../shared/seed/) is not on this machine",
)
def test_the_seed_article_is_read_in_full() -> None:
    seed = extraction.run()["seed"]
    assert (seed.gold, seed.exact, seed.predicted, seed.tied_right) == (6, 6, 6, 6)
    assert (seed.names_gold, seed.names_found) == (2, 2)
