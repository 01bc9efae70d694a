"""(quote, Text) -> Match. Pure: no I/O.

A quote is *verified* only by an exact match after normalization, where the only freedom is
what editorial convention allows: an ellipsis omits words, a bracket stands for the editor's
words. A fuzzy alignment is used only afterwards, to tell *altered* (a close passage exists) from
*not_found*; it can never make a quote verified.

Normalization, the same on both sides: Unicode NFKC (ligatures, no-break and thin spaces, full-
width forms, the ellipsis character), every quote mark and apostrophe to ``'``, every dash to
``-`` with the spaces around it dropped, invisible characters (soft hyphen, zero-width) removed,
whitespace runs to one space, common contractions expanded (``isn't`` -> ``is not``) and case
folded. ``Normalized`` keeps where each changed run came from, so a match maps back to the
page's own words.
"""

from __future__ import annotations

import difflib
import html
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from rapidfuzz import fuzz

from .models import DiffOp, Match, Text, Verdict

# ----------------------------------------------------------------------------- normalization

_QUOTE_CHARS: Final = (
    "'\"`\u00b4\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f"
    "\u00ab\u00bb\u2039\u203a\u2032\u2033\u301d\u301e\uff02\uff07"
)
_DASH_CHARS: Final = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_INVISIBLE: Final = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_APOS: Final = "['\u2019]"

_TRANSLATE: Final = {
    **dict.fromkeys(map(ord, _QUOTE_CHARS), "'"),
    **dict.fromkeys(map(ord, _DASH_CHARS.replace("\\", "")), "-"),
    **dict.fromkeys(map(ord, _INVISIBLE), ""),
}

_TRANSLATE_INVISIBLE: Final = dict.fromkeys(map(ord, _INVISIBLE), "")

_CONTRACTIONS: Final = {
    "won't": "will not",
    "can't": "can not",
    "shan't": "shall not",
    "cannot": "can not",
    "n't": " not",
    "let's": "let us",
    "'re": " are",
    "'ve": " have",
    "'ll": " will",
    "'m": " am",
    "'d": " would",
}

_LINE_END_HYPHEN: Final = re.compile(r"[-\u00ad]\r?\n[ \t]*")
_PRONOUNS: Final = frozenset(
    ["it", "that", "he", "she", "there", "here", "what", "who", "where", "how"]
)
_U_DASH: Final = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_SPACE: Final = rf"\s{_INVISIBLE}"

# Everything that may change; the rest of the text is ASCII that maps to itself (but for case).
# Every branch starts with a character class and none with \b or a repeat, and there is no
# IGNORECASE: that keeps the scan over a page at about 3x the speed of the obvious pattern.
# Whether a contraction starts a word is checked in _replacement, on the text before it.
_SPECIAL: Final = re.compile(
    rf"[wWcCsSlL](?:[oO][nN]|[aA][nN]|[hH][aA][nN]|[eE][tT]){_APOS}[tTsS]\b"
    rf"|[cC][aA][nN][nN][oO][tT]\b"
    rf"|[nN]{_APOS}[tT]\b"
    rf"|[iItThHsSwW][a-zA-Z]{{0,4}}{_APOS}[sS]\b"
    rf"|{_APOS}(?:[rR][eE]|[vV][eE]|[lL][lL]|[mM]|[dD])\b"
    # A dash with the spaces around it; invisible characters join the spaces around them, or
    # "a \u200b b" would keep two.
    rf"|[{_SPACE}][{_SPACE}]*[{_DASH_CHARS}]+[{_SPACE}]*"
    rf"|[{_U_DASH}][{_DASH_CHARS}]*[{_SPACE}]*"
    rf"|-[{_DASH_CHARS}{_SPACE}]+"
    # Whitespace but a lone plain space, which maps to itself.
    rf"| [{_SPACE}]+|[^\S ][{_SPACE}]*|[{_INVISIBLE}][{_SPACE}]*"
    r"|[A-Za-z][\u0300-\u036f]+"
    # One character at a time (with its combining marks), so that a match maps back to the
    # page's own characters: in "“ﬁnal" the word starts after the quote mark.
    r"|[^\x00-\x7f\s][\u0300-\u036f]*"
    r"|[\"`]"
)


# Where a run _SPECIAL matches may be: every run holds, within its first six characters, a
# character of _ANCHOR (a quote mark or apostrophe, a hyphen, whitespace but a space, anything
# not ASCII), two spaces in a row, or the "c" of "cannot". One character class and a find are
# much quicker to scan for than the pattern's many branches.
_ANCHOR: Final = re.compile(r"[^\x20\x21\x23-\x26\x28-\x2c\x2e-\x5f\x61-\x7e]")
_CANNOT: Final = re.compile(r"[cC][aA][nN][nN][oO][tT]")
_ANCHOR_REACH: Final = 5  # how far before its anchor a run may start ("that's": 4)


def _anchors(text: str) -> list[int]:
    found = [m.start() for m in _ANCHOR.finditer(text)]
    found += [m.start() for m in _CANNOT.finditer(text)]
    i = text.find("  ")
    while i != -1:
        found.append(i)
        i = text.find("  ", i + 2)
    return sorted(found)


def _special_runs(text: str) -> Iterator[re.Match[str]]:
    """The runs ``_SPECIAL.finditer(text)`` finds, found by trying it only just before the
    anchors: the same runs, for a fraction of the time on mostly ASCII text, where the scan
    otherwise tries its many branches at every letter. Text dense with anchors (non-Latin
    scripts) is scanned whole."""
    anchors = _anchors(text)
    if len(anchors) * 8 > len(text):
        yield from _SPECIAL.finditer(text)
        return
    done = 0  # the end of the last run: the next starts there or after
    for at in anchors:
        for start in range(max(done, at - _ANCHOR_REACH), at + 1):
            m = _SPECIAL.match(text, start)
            if m is not None:
                yield m
                done = m.end()
                break


def _replacement(run: str, before: str, after: str = "") -> str:
    """The normalized form of a run the pattern found, between ``before`` and ``after``."""
    key = run.lower().replace("\u2019", "'")
    if _LINE_END_HYPHEN.fullmatch(run) and before.islower() and after.islower():
        return ""  # "immi-\ngration": a word hyphenated at the end of a line, joined again
    if key in _CONTRACTIONS:
        if key.startswith(("n", "'")):  # n't, 're, 've, ...: the ending of a word
            if before.isalpha():
                return _CONTRACTIONS[key]
        elif not before.isalnum():  # won't, can't, cannot, let's: a whole word
            return _CONTRACTIONS[key]
    elif key.endswith("'s") and key[:-2] in _PRONOUNS and not before.isalnum():
        return key[:-2] + " is"
    visible = run.translate(_TRANSLATE_INVISIBLE)
    if not visible:
        return ""
    if visible.isspace():  # a newline is kept for the cased text: it ends a block
        return "\n" if "\n" in run else " "
    if visible.strip() and visible.strip()[0] in _DASH_CHARS.replace("\\", ""):
        return "-"
    out = unicodedata.normalize("NFKC", run).casefold().translate(_TRANSLATE)
    return " ".join(out.split()) if not out.isspace() else " "


@dataclass(frozen=True)
class Normalized:
    """A normalized string and the map of its changed runs back to the original."""

    text: str
    _norm_start: tuple[int, ...] = ()
    _norm_end: tuple[int, ...] = ()
    _orig_start: tuple[int, ...] = ()
    _orig_end: tuple[int, ...] = ()
    # The same text before case folding (same offsets): where sentences end is read from it,
    # since "esp. if" and "strategies... has" end no sentence and "cuts. The" does.
    cased: str = ""

    @property
    def sentence_text(self) -> str:
        """The text to find sentence ends in: ``cased`` if known, else ``text``."""
        return self.cased or self.text

    def start_in_original(self, i: int) -> int:
        """The original offset of the character at normalized offset ``i``."""
        k = bisect_right(self._norm_start, i) - 1
        if k < 0:
            return i
        if i < self._norm_end[k]:
            return self._orig_start[k]
        return self._orig_end[k] + (i - self._norm_end[k])

    def end_in_original(self, i: int) -> int:
        """The original offset for an exclusive end at normalized offset ``i``."""
        k = bisect_left(self._norm_start, i) - 1
        if k < 0:
            return i
        if i <= self._norm_end[k]:
            return self._orig_end[k]
        return self._orig_end[k] + (i - self._norm_end[k])


def normalize(text: str) -> Normalized:
    """Normalize ``text`` for matching (see the module docstring), keeping a map back."""
    if (
        text.isascii()
        and "  " not in text
        and not _ANCHOR.search(text)
        and not _CANNOT.search(text)
    ):
        return Normalized(text.lower(), cased=text)
    norm_start: list[int] = []
    norm_end: list[int] = []
    orig_start: list[int] = []
    orig_end: list[int] = []
    delta = 0

    def sub(m: re.Match[str]) -> str:
        nonlocal delta
        at = m.start()
        end = m.end()
        out = _replacement(
            m.group(), m.string[at - 1] if at else "", m.string[end] if end < len(m.string) else ""
        )
        if len(out) != m.end() - m.start():
            norm_start.append(m.start() + delta)
            norm_end.append(m.start() + delta + len(out))
            orig_start.append(m.start())
            orig_end.append(m.end())
            delta += len(out) - (m.end() - m.start())
        return out

    pieces, last = [], 0
    for m in _special_runs(text):
        pieces += [text[last : m.start()], sub(m)]
        last = m.end()
    replaced = "".join([*pieces, text[last:]])
    lowered = replaced.lower()
    if len(lowered) != len(replaced):  # a few characters lower to two; keep the map exact
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in replaced)
    lowered = lowered.replace("\n", " ")  # a quote may run across blocks
    return Normalized(
        lowered, tuple(norm_start), tuple(norm_end), tuple(orig_start), tuple(orig_end), replaced
    )


def norm(text: str) -> str:
    """Just the normalized text."""
    return normalize(text).text


# ----------------------------------------------------------------------------- quote patterns

# Limits of what an ellipsis or a bracket may stand for in the source.
ELLIPSIS_MAX_CHARS: Final = 1000
BRACKET_MAX_WORDS: Final = 6

# Words whose presence or absence changes what a sentence means.
_NEGATIONS: Final = frozenset(
    [
        "not",
        "no",
        "never",
        "nor",
        "neither",
        "none",
        "nobody",
        "nothing",
        "nowhere",
        "without",
        "hardly",
        "barely",
        "scarcely",
    ]
)
_QUALIFIERS: Final = frozenset(
    [
        "allegedly",
        "reportedly",
        "only",
        "just",
        "nearly",
        "almost",
        "about",
        "approximately",
        "roughly",
        "some",
    ]
)
# Qualifiers that hedge whatever they stand next to. "about", "some" and "just" are left out: as
# often a preposition, a determiner or an adverb of time, they hedge only a number that follows.
_HEDGES: Final = _QUALIFIERS - {"about", "some", "just"}
_NUMBER_HEDGES: Final = frozenset(["about", "some"])
# Hedges that qualify a whole clause from wherever they stand, even set off by a comma
# ("He took the money, allegedly.").
_CLAUSE_HEDGES: Final = frozenset(["allegedly", "reportedly"])
_NOTES: Final = frozenset(
    {
        "sic",
        "sic!",
        "emphasis added",
        "emphasis mine",
        "emphasis in original",
        "emphasis original",
        "italics added",
        "italics mine",
        "italics in original",
    }
)
_ELLIPSIS: Final = re.compile(r"\s*(?:\u2026|\.(?:\s?\.){2,})\s*")
_BRACKET: Final = re.compile(r"\[([^\[\]]*)\]")
_EDGE_JUNK: Final = " '.,;:!?"
# Abbreviations whose period ends no sentence ("Mr. Quinn", "Gov. Patrick"); a single letter
# before a period is an initial ("Sheriff Thomas M. Hodgson"). The text is case-folded.
_ABBREVIATIONS: Final = (
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "sgt", "capt",
    "st", "jr", "sr", "rev", "hon", "vs", "inc", "corp", "co", "ltd",
    "jan", "feb", "aug", "sept", "oct", "nov", "dec",
)  # fmt: skip


def _either_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" for c in word)


# A sentence ends at ".", "!" or "?" (and any closing quote or bracket) before a space and a
# character that is no lower-case letter, or at a block boundary; not after a common
# abbreviation or an initial. Read on the text before case folding.
_SENTENCE_END: Final = re.compile(
    "".join(rf"(?<!\b{_either_case(a)})" for a in _ABBREVIATIONS)
    + r"(?<!\b[A-Za-z])[.!?]['\")\]]*\s+(?=[^\sa-z])|\n"
)
_WORD: Final = re.compile(r"\w")
# A digit, a decimal point or thousands separator, a digit: "10" is no word of "10,000" or "10.5".
_IN_NUMBER: Final = re.compile(r"\d[.,]\d")
# A word just outside a quote: in the same block (no newline between).
# Matched on the reversed text before a quote, so that it is anchored where the quote starts.
_WORD_BEFORE_REVERSED: Final = re.compile(r"([ \t,']*)(\w+)")
_WORD_AFTER: Final = re.compile(r"([ \t,']*)(\w+)")
_ENTITY: Final = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


@dataclass(frozen=True)
class _Gap:
    """What lies between two literal parts of a quote."""

    ellipsis: bool  # an omission; otherwise a bracket, the editor's words
    words: str = ""  # the bracket's words, normalized


@dataclass(frozen=True)
class Pattern:
    """A quote split into the literal parts that must appear in order, and the gaps between."""

    literals: tuple[str, ...]
    gaps: tuple[_Gap, ...]  # len(literals) - 1
    lead: str | None = None  # a bracket before the first literal
    trail: str | None = None  # a bracket after the last literal


def _is_ellipsis(content: str) -> bool:
    return _ELLIPSIS.fullmatch(content) is not None


def parse_quote(quote: str) -> Pattern:
    """Split a quote into literal parts and gaps, following AP and Chicago conventions.

    ``...`` / ``…`` / ``. . .`` / ``[...]`` omit words; ``[sic]`` and ``[emphasis added]`` are
    notes; ``[T]he`` (a bracket touching a word) changes a letter's case; any other bracket
    stands for up to a few of the source's words.
    """
    # Tokens: ("lit", text) | ("ell", "") | ("br", words).
    tokens: list[tuple[str, str]] = []
    pos = 0
    for m in _BRACKET.finditer(quote):
        content = m.group(1).strip()
        before = quote[pos : m.start()]
        after = quote[m.end() : m.end() + 2]
        # "[T]he", "polic[ies]", "[i]'m" change letters of a word; so does "[A]" alone.
        touches = (
            (m.start() > 0 and quote[m.start() - 1].isalnum())
            or after[:1].isalnum()
            or (after[:1] in ("'", "\u2019") and after[1:].isalpha())
            or (len(content) == 1 and content.isalpha())
        )
        if _is_ellipsis(content) or not content:
            tokens += [("lit", before), ("ell", "")]
        elif content.lower() in _NOTES:
            tokens.append(("lit", before))
        elif touches and len(content) <= 3:
            tokens.append(("lit", before + content))
        else:
            tokens += [("lit", before), ("br", norm(content).strip(_EDGE_JUNK))]
        pos = m.end()
    tokens.append(("lit", quote[pos:]))

    # Split literals on ellipses, then join adjacent literals (a note between them vanished).
    split: list[tuple[str, str]] = []
    for kind, value in tokens:
        if kind != "lit":
            split.append((kind, value))
            continue
        for i, part in enumerate(_ELLIPSIS.split(value)):
            if i:
                split.append(("ell", ""))
            if split and split[-1][0] == "lit":
                split[-1] = ("lit", split[-1][1] + part)
            else:
                split.append(("lit", part))

    literals: list[str] = []
    gaps: list[_Gap] = []
    lead: str | None = None
    pending: _Gap | None = None
    for kind, value in split:
        if kind == "lit":
            text = " ".join(norm(value).split())
            if not text.strip(_EDGE_JUNK):
                continue
            if literals and pending is not None:
                gaps.append(pending)
            elif literals:  # two literals with nothing between: cannot happen after joining
                literals[-1] += " " + text
                continue
            elif pending is not None and not pending.ellipsis:
                lead = pending.words
            literals.append(text)
            pending = None
        else:
            gap = _Gap(ellipsis=True) if kind == "ell" else _Gap(ellipsis=False, words=value)
            if pending is not None and (pending.ellipsis or gap.ellipsis):
                gap = _Gap(ellipsis=True)  # an omission swallows a bracket beside it
            elif pending is not None:
                gap = _Gap(ellipsis=False, words=f"{pending.words} {value}")
            pending = gap
    trail = pending.words if pending is not None and not pending.ellipsis and literals else None

    # Punctuation at the edges of the quote and around an ellipsis is the writer's, not the
    # source's: a quote may start or end mid-sentence and drop or add its final mark.
    for i, text in enumerate(literals):
        strip_left = (i == 0 and lead is None) or (i > 0 and gaps[i - 1].ellipsis)
        last = i == len(literals) - 1
        strip_right = (last and trail is None) or (not last and gaps[i].ellipsis)
        if strip_left:
            text = text.lstrip(_EDGE_JUNK)
        if strip_right:
            text = text.rstrip(_EDGE_JUNK)
        literals[i] = text.strip()
    return Pattern(tuple(literals), tuple(gaps), lead, trail)


# ----------------------------------------------------------------------------- exact search


def _sensitive(text: str) -> set[str]:
    """Words that carry meaning an edit must not drop or add: negations, qualifiers, numbers."""
    words = re.findall(r"\w+", text)
    return {w for w in words if w in _NEGATIONS or w in _QUALIFIERS or any(c.isdigit() for c in w)}


def _bounded(hay: str, start: int, end: int) -> bool:
    """Whether hay[start:end] starts and ends on word boundaries where the literal has words.

    A number goes on across a decimal point or a thousands separator: "10 million" is not in
    "10,000 million", nor "5 million" in "3.5 million".
    """
    if start > 0 and _WORD.match(hay, start) and _WORD.match(hay, start - 1):
        return False
    if end < len(hay) and _WORD.match(hay, end - 1) and _WORD.match(hay, end):
        return False
    if start >= 2 and _IN_NUMBER.match(hay, start - 2):
        return False
    return not (end > 0 and _IN_NUMBER.match(hay, end - 1))


def _occurrences(hay: str, needle: str, lo: int, hi: int) -> Iterator[int]:
    """Where ``needle`` stands in ``hay[lo:hi]`` on word boundaries, found as they are needed:
    most quotes are accepted at their first occurrence, and the rest of the text is not read."""
    i = hay.find(needle, lo, hi)
    while i != -1:
        if _bounded(hay, i, i + len(needle)):
            yield i
        i = hay.find(needle, i + 1, hi)


def _split(text: str, cased: str) -> list[str]:
    """``text`` cut at the sentence ends found in ``cased``, the same text before case folding."""
    pieces, last = [], 0
    for m in _SENTENCE_END.finditer(cased):
        pieces.append(text[last : m.start()])
        last = m.end()
    return [*pieces, text[last:]]


def _check_gap(gap: _Gap, between: str, cased: str) -> str | None:
    """Why the source text ``between`` two parts (``cased``: before case folding) cannot be
    what ``gap`` stands for, or None."""
    if gap.ellipsis:
        if len(between) > ELLIPSIS_MAX_CHARS:
            return "the parts around an ellipsis are too far apart"
        # Whole sentences may be left out, but not a negation from the sentence a kept part
        # belongs to: "It is ... a failure" must not verify against "It is not a failure".
        # Nor a hedge: "The man ... took the money" must not verify against "The man allegedly
        # took the money".
        pieces = _split(between, cased)
        omitted = (_sensitive(pieces[0]) | _sensitive(pieces[-1])) & (_NEGATIONS | _HEDGES)
        if omitted:
            return f"an ellipsis omits {sorted(omitted)[0]!r} from a quoted sentence"
        # Nor may it weld the start of one sentence to the end of another: "the budget was ...
        # wrong" from "the budget was balanced. Critics said the numbers were wrong". The words
        # of a sentence beyond its closing quote mark (an attribution) do not count.
        if (
            len(pieces) > 1
            and _WORD.search(pieces[0].split("'")[0])
            and _WORD.search(pieces[-1].split("'")[-1])
        ):
            return "an ellipsis joins parts of two different sentences into one"
        return None
    return _check_bracket(gap.words, between, cased)


def _check_bracket(words: str, replaced: str, cased: str) -> str | None:
    if len(replaced.split()) > BRACKET_MAX_WORDS:
        return f"[{words}] stands for more than {BRACKET_MAX_WORDS} of the source's words"
    if _SENTENCE_END.search(cased):
        return f"[{words}] spans a sentence boundary"
    if ("[" in replaced or "]" in replaced) and replaced.strip(" []") != words:
        # The source's own brackets: their words are the source's, not the editor's.
        return f"[{words}] stands for words the source itself gives in brackets"
    hidden = _sensitive(replaced) - _sensitive(words)
    if hidden:
        return f"[{words}] hides {sorted(hidden)[0]!r}"
    added = _sensitive(words) - _sensitive(replaced)
    if added:
        return f"[{words}] adds {sorted(added)[0]!r}, which the source does not say there"
    return None


def _window_before(hay: Normalized, start: int, words: int) -> str:
    lo = max(0, start - 300)
    sentence = _split(hay.text[lo:start], hay.sentence_text[lo:start])[-1]
    return " ".join(sentence.split()[-words:])


def _window_after(hay: Normalized, end: int, words: int) -> str:
    sentence = _split(hay.text[end : end + 300], hay.sentence_text[end : end + 300])[0]
    return " ".join(sentence.split()[:words])


def _check_edge_bracket(words: str, hay: Normalized, at: int, before: bool) -> str | None:
    """Why a bracket at the start (``before``) or end of a quote, next to offset ``at``, changes
    what the source says there, or None.

    Which source words such a bracket replaces is unknown: it may add a negation, number or
    qualifier only if one stands in the sentence nearby, and may hide none that stands within a
    couple of words of its own length ("[He] said" is not what "No one said" says).
    """
    window = _window_before if before else _window_after
    added = _sensitive(words) - _sensitive(window(hay, at, BRACKET_MAX_WORDS))
    if added:
        return f"[{words}] adds {sorted(added)[0]!r}, which the source does not say there"
    hidden = _sensitive(window(hay, at, len(words.split()) + 2)) - _sensitive(words)
    if hidden:
        return f"[{words}] hides {sorted(hidden)[0]!r}"
    return None


def _dropped(word: str, sep: str, before_number: bool, bracket: str | None) -> bool:
    """Whether ``word``, found just outside a quote across ``sep``, changes what it says."""
    if bracket is not None and word in bracket.split():
        return False  # the editor's bracket keeps it
    if "," in sep:
        return word in _CLAUSE_HEDGES
    return word in _NEGATIONS or word in _HEDGES or (before_number and word in _NUMBER_HEDGES)


def _check_edges(hay: str, p: Pattern, start: int, end: int) -> str | None:
    """Why the words just outside a match change its meaning, or None.

    A quote may start or end mid-sentence, but not right beside a negation or a hedge that it
    leaves out: "three people came" is not what "Only three people came" says.
    """
    before = _WORD_BEFORE_REVERSED.match(hay[max(0, start - 40) : start][::-1])
    word = before.group(2)[::-1].lower() if before else ""
    if before and _dropped(
        word, before.group(1), re.match(r"\W*\d", p.literals[0]) is not None, p.lead
    ):
        return f"the quote leaves out {word!r} just before it"
    after = _WORD_AFTER.match(hay, end, min(len(hay), end + 40))
    if after and _dropped(after.group(2).lower(), after.group(1), False, p.trail):
        return f"the quote leaves out {after.group(2).lower()!r} just after it"
    return None


@dataclass(frozen=True)
class _Found:
    spans: tuple[tuple[int, int], ...] | None
    rejected: str | None  # why the best-looking candidate was refused


def _chain(hay: Normalized, p: Pattern, i: int, lo: int, hi: int) -> _Found:
    text = hay.text
    rejected: str | None = None
    for s in _occurrences(text, p.literals[i], lo, hi):
        e = s + len(p.literals[i])
        if i > 0:
            if next(_occurrences(text, p.literals[i - 1], lo, s), None) is not None:
                # The previous part occurs again closer to this one: only the tightest chain
                # counts, and it is tried from that later occurrence.
                continue
            why = _check_gap(p.gaps[i - 1], text[lo:s], hay.sentence_text[lo:s])
            if why:
                rejected = rejected or why
                continue
        if i == len(p.literals) - 1:
            why = _check_edge_bracket(p.trail, hay, e, before=False) if p.trail else None
            if why:
                rejected = rejected or why
                continue
            return _Found(((s, e),), None)
        nxt = p.gaps[i]
        reach = ELLIPSIS_MAX_CHARS if nxt.ellipsis else 40 * BRACKET_MAX_WORDS
        rest = _chain(hay, p, i + 1, e, min(len(text), e + reach + len(p.literals[i + 1])))
        if rest.spans is not None:
            return _Found(((s, e), *rest.spans), None)
        rejected = rejected or rest.rejected
    return _Found(None, rejected)


def find_exact(p: Pattern, hay: Normalized | str) -> _Found:
    """Find the pattern in a normalized text: spans of each literal, or why none was accepted."""
    if isinstance(hay, str):
        hay = Normalized(hay)
    if not p.literals:
        return _Found(None, "the quote has no words to look for")
    rejected: str | None = None
    for s in _occurrences(hay.text, p.literals[0], 0, len(hay.text)):
        if p.lead:
            why = _check_edge_bracket(p.lead, hay, s, before=True)
            if why:
                rejected = rejected or why
                continue
        found = _chain(hay, p, 0, s, s + len(p.literals[0]))
        if found.spans is not None:
            why = _check_edges(hay.sentence_text, p, s, found.spans[-1][1])
            if why is None:
                return found
            rejected = rejected or why
            continue
        rejected = rejected or found.rejected
    return _Found(None, rejected)


# ----------------------------------------------------------------------------- closest passage

# A passage is "close" (altered rather than not_found) when at least this share of the quote's
# words appear in it, in order. Measured (benchmarks/alignment.py): unrelated sentences share at
# most about half their words with the closest passage of a page, at every page size, while
# single-word misquotes share all but one; see the README's design notes.
ALTERED_MIN_WORD_SHARE: Final = 0.6


_WORDS: Final = re.compile(r"\S+")


def _word_spans(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """Offsets of the words of ``text[lo:hi]``, leaving out one cut by either end."""
    spans = [(m.start(), m.end()) for m in _WORDS.finditer(text, lo, hi)]
    if spans and lo > 0 and not text[lo - 1].isspace():
        spans = spans[1:]
    if spans and hi < len(text) and not text[hi].isspace():
        spans = spans[:-1]
    return spans


def word_diff(source_words: list[str], quote_words: list[str]) -> tuple[tuple[DiffOp, ...], int]:
    """A word diff from source to quote, and the count of words the two share.

    Words are aligned on their normalized form without edge punctuation, so that a moved comma
    does not derail the alignment; a shared word whose punctuation differs is then shown as
    changed, except at the ends of the quote, whose punctuation is the writer's.
    """
    loose_s = [norm(w).strip(_EDGE_JUNK) for w in source_words]
    loose_q = [norm(w).strip(_EDGE_JUNK) for w in quote_words]
    matcher = difflib.SequenceMatcher(None, loose_s, loose_q, autojunk=False)
    steps: list[tuple[str, int, int, int, int]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            steps.append((tag, i1, i2, j1, j2))
            continue
        for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
            edge = j in (0, len(quote_words) - 1)
            same = edge or norm(source_words[i]) == norm(quote_words[j])
            steps.append(("equal" if same else "replace", i, i + 1, j, j + 1))
    merged: list[tuple[str, int, int, int, int]] = []
    for step in steps:
        if merged and merged[-1][0] == step[0] and step[0] in ("equal", "replace"):
            prev = merged[-1]
            merged[-1] = (prev[0], prev[1], step[2], prev[3], step[4])
        else:
            merged.append(step)
    ops = tuple(
        DiffOp(tag, " ".join(source_words[i1:i2]), " ".join(quote_words[j1:j2]))
        for tag, i1, i2, j1, j2 in merged
    )
    equal = sum(i2 - i1 for tag, i1, i2, _, _ in merged if tag == "equal")
    return ops, equal


def _split_edge_replace(diff: tuple[DiffOp, ...]) -> tuple[DiffOp, ...]:
    """Split source-only words off a replacement at either edge of a diff.

    A replacement that opens or closes the diff with more source words than quote words takes
    in words from outside the quote ("The fund received 10" for "0"): keep as replaced only as
    many source words as the quote has, next to the rest of the diff, and mark the others
    deleted, so that the passage does not grow past the quote.
    """
    ops = list(diff)
    if ops and ops[0].op == "replace":
        src, quote = ops[0].source.split(), ops[0].quote.split()
        if len(src) > len(quote):
            cut = len(src) - len(quote)
            ops[:1] = [
                DiffOp("delete", " ".join(src[:cut]), ""),
                DiffOp("replace", " ".join(src[cut:]), ops[0].quote),
            ]
    if ops and ops[-1].op == "replace":
        src, quote = ops[-1].source.split(), ops[-1].quote.split()
        if len(src) > len(quote):
            ops[-1:] = [
                DiffOp("replace", " ".join(src[: len(quote)]), ops[-1].quote),
                DiffOp("delete", " ".join(src[len(quote) :]), ""),
            ]
    return tuple(ops)


def _display_quote(quote: str) -> str:
    return " ".join(quote.split()).strip(" \"'\u201c\u201d\u2018\u2019\u00ab\u00bb")


def _closest(quote: str, p: Pattern, text: str, hay: Normalized, why: str | None) -> Match:
    needle = " ".join(p.literals)
    found = fuzz.partial_ratio_alignment(needle, hay.text) if needle and hay.text else None
    if found is None:
        return Match(Verdict.NOT_FOUND, 0.0, reason=why)
    quote_words = _display_quote(quote).split()
    # The alignment is character-level and may stop short of the quote's words, the more so when
    # the source has words the quote lacks (a splice over an attribution): widen it by as many
    # words as the quote has each side, diff word by word, then drop source-only words at
    # either edge.
    start = hay.start_in_original(found.dest_start)
    end = hay.end_in_original(found.dest_end)
    # Words are listed only near the alignment (the pad needs at most the quote's length in
    # words each side), not over the whole text for every quote.
    margin = 2 * len(quote) + 100
    spans = _word_spans(text, max(0, start - margin), min(len(text), end + margin))
    inside = [k for k, (a, b) in enumerate(spans) if b > start and a < end]
    if not inside:
        return Match(Verdict.NOT_FOUND, 0.0, reason=why)
    pad = max(3, len(quote_words))
    lo, hi = max(0, inside[0] - pad), min(len(spans), inside[-1] + 1 + pad)
    words = [text[a:b] for a, b in spans[lo:hi]]
    diff, equal = word_diff(words, quote_words)
    diff = _split_edge_replace(diff)
    first = next((k for k, d in enumerate(diff) if d.op != "delete"), 0)
    last = next((k for k in range(len(diff) - 1, -1, -1) if diff[k].op != "delete"), len(diff) - 1)
    skip_left = sum(len(d.source.split()) for d in diff[:first])
    skip_right = sum(len(d.source.split()) for d in diff[last + 1 :])
    diff = diff[first : last + 1]
    start, end = spans[lo + skip_left][0], spans[hi - 1 - skip_right][1]
    passage = text[start:end]
    total = len(passage.split()) + len(quote_words)
    score = round(2 * equal / total, 3) if total else 0.0
    checked = len(_BRACKET.sub(" ", _display_quote(quote)).split())
    if equal < ALTERED_MIN_WORD_SHARE * checked:
        return Match(Verdict.NOT_FOUND, score, reason=why)
    return Match(Verdict.ALTERED, score, passage, start, end, diff, why)


# ----------------------------------------------------------------------------- the stage


def match_quote(quote: str, text: Text, hay: Normalized | None = None) -> Match:
    """How ``quote`` stands against ``text``: verified, altered (with a diff) or not_found.

    Pass ``hay`` (``normalize(text.text)``) when matching many quotes against one text. Character
    references in the quote (``isn&rsquo;t``, copied from a page's source) are read as the
    characters they stand for; the text is already visible text.
    """
    quote = _ENTITY.sub(lambda m: html.unescape(m.group()), quote)
    hay = hay or normalize(text.text)
    pattern = parse_quote(quote)
    found = find_exact(pattern, hay)
    if found.spans is None and "[" in quote:
        # Brackets the source itself has ("risk factor[s]", "bytes[i]", "[Note: ...]") are
        # its words: the quote read with its brackets as plain text may be there word for word.
        literal = norm(_display_quote(quote)).strip(_EDGE_JUNK)
        as_written = find_exact(Pattern((literal,), ()), hay) if literal else found
        found = as_written if as_written.spans is not None else found
    if found.spans is not None:
        start = hay.start_in_original(found.spans[0][0])
        end = hay.end_in_original(found.spans[-1][1])
        return Match(Verdict.VERIFIED, 1.0, text.text[start:end], start, end)
    return _closest(quote, pattern, text.text, hay, found.rejected)
