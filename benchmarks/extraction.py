"""How well sourcecheck finds an article's quotes and ties them to their sources.

Scores ``sourcecheck.attribution.read_article`` against the labelled articles of
``tests/articles/`` (Markdown, HTML and text; see its README) and the seed article in
``../shared/seed/`` (labels in ``tests/articles/seed.expected.yaml``):

- quote spans (quotes and block quotes): precision, recall and F1, exact (the same text once
  whitespace and edge punctuation are set aside) and loose (one span inside the other, or half
  their words shared);
- names and titles (1-3 word quotes, titled works): precision and recall;
- attribution: of the quotes found exactly, the share tied to the labelled source
  (``unattributed`` when the label says nothing ties it), and the share of speakers right.

    python benchmarks/extraction.py [--set tests/articles] [--verbose]
    python benchmarks/extraction.py --set tests/articles-heldout   # written after the rules

Targets: span F1 >= 95% and attribution accuracy >= 95%.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sourcecheck.attribution import read_article
from sourcecheck.files import article_format
from sourcecheck.models import Article, QuoteKind
from sourcecheck.sources import load_sources

ROOT = Path(__file__).resolve().parents[1]
SET = ROOT / "tests" / "articles"
_SEED_NAME = Path("shared", "seed", "secure-communities-article.txt")
# Read where it lives: $SOURCECHECK_SEED_ARTICLE, next to the project, or under /work.
SEED = next(
    (
        Path(c)
        for c in (os.environ.get("SOURCECHECK_SEED_ARTICLE"), ROOT.parent / _SEED_NAME)
        if c and Path(c).is_file()
    ),
    Path("/work") / _SEED_NAME,
)
SEED_LABELS = SET / "seed.expected.yaml"
TARGET_F1 = 0.95
TARGET_ATTRIBUTION = 0.95


def key(text: str) -> str:
    """A span's text with whitespace and edge punctuation set aside."""
    flat = " ".join(text.split())
    return flat.strip(" \t.,;:!?\"'“”‘’«»„‚‹›「」『』—–-").casefold()


def _loose(a: str, b: str) -> bool:
    if a in b or b in a:
        return True
    wa, wb = set(re.findall(r"\w+", a)), set(re.findall(r"\w+", b))
    return bool(wa and wb) and len(wa & wb) * 2 >= max(len(wa), len(wb))


@dataclass
class Score:
    """Counts over a set of articles."""

    articles: int = 0
    gold: int = 0
    predicted: int = 0
    exact: int = 0
    loose: int = 0
    names_gold: int = 0
    names_predicted: int = 0
    names_found: int = 0
    tied_right: int = 0
    speakers_labelled: int = 0
    speakers_right: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(other, name)
            if isinstance(value, list):
                getattr(self, name).extend(value)
            else:
                setattr(self, name, getattr(self, name) + value)

    @staticmethod
    def _f1(p: float, r: float) -> float:
        return 2 * p * r / (p + r) if p + r else 0.0

    def span(self, matched: int) -> tuple[float, float, float]:
        p = matched / self.predicted if self.predicted else 1.0
        r = matched / self.gold if self.gold else 1.0
        return p, r, self._f1(p, r)

    @property
    def attribution(self) -> float:
        return self.tied_right / self.exact if self.exact else 1.0


def _surname(name: str | None) -> str:
    return name.split()[-1].casefold() if name and name.split() else ""


def score_article(article: Article, labels: dict[str, Any], name: str) -> Score:
    """Compare what was read with the labels of one article."""
    s = Score(articles=1)
    gold = [q for q in labels.get("quotes") or []]
    predicted = [q for q in article.quotes if q.checked]
    s.gold, s.predicted = len(gold), len(predicted)
    free = list(predicted)
    for g in gold:
        gk = key(str(g["text"]))
        hit = next((p for p in free if key(p.text) == gk), None)
        if hit is not None:
            free.remove(hit)
            s.exact += 1
            s.loose += 1
            want = g.get("source")
            want = None if want in (None, "null") else str(want)
            if hit.source_id == want:
                s.tied_right += 1
            else:
                s.misses.append(
                    f"{name}:{g.get('line')}: tied to {hit.source_id} ({hit.cue}), "
                    f"labelled {want}: {gk[:60]!r}"
                )
            if g.get("speaker"):
                s.speakers_labelled += 1
                s.speakers_right += _surname(hit.speaker) == _surname(str(g["speaker"]))
            continue
        near = next((p for p in free if _loose(key(p.text), gk)), None)
        if near is not None:
            free.remove(near)
            s.loose += 1
            s.misses.append(f"{name}:{g.get('line')}: span {key(near.text)[:60]!r} for {gk[:60]!r}")
        else:
            s.misses.append(f"{name}:{g.get('line')}: not found: {gk[:70]!r}")
    for p in free:
        s.misses.append(f"{name}:{p.line}: extra {p.kind.value}: {key(p.text)[:70]!r}")
    names_gold = {
        key(str(n)) for n in [*(labels.get("names") or []), *(labels.get("titles") or [])]
    }
    names_pred = {
        key(q.text) for q in article.quotes if q.kind in (QuoteKind.NAME, QuoteKind.TITLE)
    }
    s.names_gold, s.names_predicted = len(names_gold), len(names_pred)
    s.names_found = len(names_gold & names_pred)
    return s


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def labelled_set(root: Path = SET) -> list[tuple[str, Path, Path, Path | None]]:
    """(name, article file, labels, sources.yaml or None) for every labelled article."""
    out = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(folder.glob("article.*"))
        if files and (folder / "expected.yaml").is_file():
            sources = folder / "sources.yaml"
            out.append(
                (
                    folder.name,
                    files[0],
                    folder / "expected.yaml",
                    sources if sources.is_file() else None,
                )
            )
    return out


def run(root: Path = SET) -> dict[str, Score]:
    """Scores per format ("markdown", "html", "text"), for the seed, and in total."""
    scores: dict[str, Score] = defaultdict(Score)
    items = labelled_set(root)
    if root == SET and SEED.is_file() and SEED_LABELS.is_file():
        items.append(("seed", SEED, SEED_LABELS, None))
    for name, path, labels, sources_file in items:
        sources = load_sources(sources_file) if sources_file else None
        fmt = article_format(path.name)
        article = read_article(path.read_text(encoding="utf-8"), fmt, str(path), sources)
        s = score_article(article, _yaml(labels), name)
        scores["seed" if name == "seed" else fmt].add(s)
        scores["all"].add(s)
    return dict(scores)


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=SET, help="the labelled articles")
    parser.add_argument("--verbose", "-v", action="store_true", help="list every miss")
    args = parser.parse_args()
    scores = run(args.set)
    head = (
        f"{'set':<9} {'art':>4} {'gold':>5} {'pred':>5} {'P':>7} {'R':>7} {'F1':>7} "
        f"{'F1 loose':>9} {'attrib':>7} {'speaker':>8} {'names P':>8} {'names R':>8}"
    )
    print(head)
    print("-" * len(head))
    for name in ("markdown", "html", "text", "seed", "all"):
        s = scores.get(name)
        if s is None:
            continue
        p, r, f1 = s.span(s.exact)
        _, _, loose = s.span(s.loose)
        speak = s.speakers_right / s.speakers_labelled if s.speakers_labelled else 1.0
        names_p = s.names_found / s.names_predicted if s.names_predicted else 1.0
        names_r = s.names_found / s.names_gold if s.names_gold else 1.0
        print(
            f"{name:<9} {s.articles:>4} {s.gold:>5} {s.predicted:>5} {_pct(p)} {_pct(r)} "
            f"{_pct(f1)} {_pct(loose):>9} {_pct(s.attribution)} {_pct(speak):>8} "
            f"{_pct(names_p):>8} {_pct(names_r):>8}"
        )
    total = scores["all"]
    f1 = total.span(total.exact)[2]
    print(
        f"\nspan F1 {_pct(f1)} (target >= {_pct(TARGET_F1).strip()}), "
        f"attribution {_pct(total.attribution)} (target >= {_pct(TARGET_ATTRIBUTION).strip()})"
    )
    if args.verbose:
        print("\n".join(["", *total.misses]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
