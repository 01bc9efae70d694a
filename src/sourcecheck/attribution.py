"""Quotes found in an article -> who said each and which source it comes from.

A quote is tied to a source by the first of these that speaks:

1. a hyperlink on the quote or in its sentence (or a block quote's ``cite=``) to a source's URL;
2. a footnote mark after it ("…” [2]", ``[^2]``) naming an entry of the reference list;
3. a source named in its sentence: an alias from sources.yaml, the publisher ("The Boston
   Globe", also "the Globe" or "Boston Globe"), an acronym ("ICE" for "Immigration and Customs
   Enforcement", or one the article defines as "National Institutes of Health (NIH)"), a title
   of three words or more, or the site's domain;
4. the speaker (the name before "said", after "according to", ...), when that speaker is a
   source, or is tied to one by another quote of the article;
5. a source named elsewhere in the paragraph (for a block quote: in the paragraph introducing it).

When two sources fit equally (two pages of one publisher), the one whose title shares most words
with the quote and its sentence wins. A quote nothing ties is kept, unattributed, never dropped.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import pairwise
from urllib.parse import urlsplit

from .article import Found, Parsed, find_quotes, parse, parse_reference, reference_blocks
from .models import Article, ArticleQuote, Link, QuoteKind, Reference, Sources

# ----------------------------------------------------------------------------- candidates


@dataclass(frozen=True)
class Candidate:
    """A source a quote may be tied to, with every name it may go by in the article."""

    id: str
    names: tuple[str, ...]
    title: str | None = None
    urls: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()  # reference-list labels that point at it


def url_key(url: str) -> str:
    """A URL reduced to what tells two spellings of one page apart (no scheme, www, slash)."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path.rstrip("/")
    return f"{host}{path}" + (f"?{parts.query}" if parts.query else "")


def _words(text: str) -> list[str]:
    out = []
    for w in re.findall(r"[^\W_][\w’'\-.&]*", text):
        w = w.lower().rstrip(".").removesuffix("’s").removesuffix("'s")
        if w and w not in _SMALL:
            out.append(w)
    return out


_SMALL = {
    "a", "an", "and", "the", "of", "in", "on", "for", "to", "at", "by", "de", "la", "le", "du",
    "des", "und", "der", "die", "das", "from", "with", "or", "&", "its",
}  # fmt: skip


def candidates_from_sources(sources: Sources, refs: list[Reference]) -> list[Candidate]:
    """The sources of a sources.yaml, each with the reference-list entries that cite it."""
    out = []
    for s in sources.sources:
        urls = tuple(u for u in (s.url, s.archive_url) if u)
        keys = {url_key(u) for u in urls}
        labels = []
        for r in refs:
            same_url = r.url is not None and url_key(r.url) in keys
            same_title = bool(r.title and s.title and _same_title(r.title, s.title))
            if same_url or same_title:
                labels.append(r.label)
        names = tuple(n for n in (*s.aliases, s.publisher) if n)
        out.append(Candidate(s.id, names, s.title, urls, tuple(labels)))
    for r in refs:  # an entry that names a source only by its publisher
        if any(r.label in c.labels for c in out) or not r.publisher:
            continue
        fits = [c for c in out if r.publisher in c.names or (r.title and r.title == c.title)]
        if len(fits) == 1:
            i = out.index(fits[0])
            out[i] = Candidate(
                fits[0].id, fits[0].names, fits[0].title, fits[0].urls, (*fits[0].labels, r.label)
            )
    return out


def _same_title(a: str, b: str) -> bool:
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return False
    short, long = sorted((wa, wb), key=len)
    return " ".join(short) in " ".join(long) and len(short) >= min(3, len(long))


def candidates_from_references(refs: list[Reference], links: list[Link]) -> list[Candidate]:
    """Without a sources.yaml: each reference entry (``ref:N``), and each other link, a source."""
    out = []
    for n, r in enumerate(refs, 1):
        names = tuple(p for p in (r.publisher,) if p)
        urls = (r.url,) if r.url else ()
        out.append(Candidate(f"ref:{n}", names, r.title, urls, (r.label,)))
    known = {url_key(u) for c in out for u in c.urls}
    for link in links:
        key = url_key(link.url)
        if link.url.startswith(("http://", "https://")) and key not in known:
            known.add(key)
            out.append(Candidate(link.url, (), None, (link.url,)))
    return out


# ----------------------------------------------------------------------------- names in text

_RUN_TOKEN = r"[A-Z](?:[\w’'\-&]|\.(?=\w))*"  # a full stop ends a name unless a letter follows
_RUN = re.compile(
    rf"(?<![\w’']){_RUN_TOKEN}(?:\s+(?:(?:of|and|for|the|de|du|la|&|on|in)\s+)*{_RUN_TOKEN})*"
)
_DEFINED = re.compile(r"([A-Z][\w’'\-.&]*(?:\s+(?:of|and|for|the|&|on)?\s*[A-Z][\w’'\-.&]*)+)"
                      r"\s+\(([A-Z][A-Za-z.&]{1,9})\)")  # fmt: skip


def _acronyms(name: str) -> set[str]:
    tokens = [t for t in re.findall(r"[^\W_][\w’'\-.&]*", name)]
    out = set()
    significant = [t for t in tokens if t.lower() not in _SMALL]
    for words in (significant, tokens):
        letters = "".join(t[0] for t in words if t[0].isalpha()).upper()
        for drop in range(len(letters)):
            if len(letters) - drop >= 2:
                lead = words[:drop]
                # drop leading "U.S", "US", "UK", "United States" only
                if all("." in t or t.isupper() or t in ("United", "States") for t in lead):
                    out.add(letters[drop:])
    return out


@dataclass(frozen=True)
class Mention:
    """A source named in the text."""

    start: int
    end: int
    ids: tuple[str, ...]  # the sources that name fits (more than one: an ambiguity)
    text: str
    governed: bool = False  # after "told", "to", "in", "by", "according to": where it was said


# A name right after these is where the words were said or printed, not who said them:
# "told the Ledger", "in a statement to HBJ", "as reported by The Boston Globe".
_GOVERNED = re.compile(
    r"\b(?:to|told|tells|in|by|on|with|from|according to|via|for)\s+(?:the\s+|a\s+)?\Z", re.I
)


class Namer:
    """Finds the sources named in a text."""

    def __init__(self, candidates: list[Candidate], article_text: str) -> None:
        self.candidates = candidates
        self.exact: list[tuple[re.Pattern[str], str, bool]] = []
        self.tokens: list[tuple[list[str], str]] = []
        self.acronyms: dict[str, set[str]] = {}
        for c in candidates:
            for name in c.names:
                words = name.split()
                if not words:
                    continue
                body = r"\s+".join(re.escape(w) for w in words)
                pattern = re.compile(rf"(?<![\w’'])(?:the\s+)?{body}(?:[’']s)?(?![\w’'])", re.I)
                self.exact.append((pattern, c.id, name.islower()))
                toks = _words(name)
                if toks:
                    self.tokens.append((toks, c.id))
                for acr in _acronyms(name):
                    self.acronyms.setdefault(acr, set()).add(c.id)
            if c.title and len(c.title.split()) >= 3:
                body = r"\s+".join(re.escape(w) for w in c.title.split())
                self.exact.append((re.compile(rf"(?<!\w){body}(?!\w)", re.I), c.id, True))
            for url in c.urls:
                host = (urlsplit(url).hostname or "").removeprefix("www.")
                if host:
                    self.exact.append(
                        (re.compile(rf"(?<![\w.]){re.escape(host)}\b", re.I), c.id, True)
                    )
        heads: dict[str, set[str]] = {}
        for c in candidates:
            for name in c.names:
                words = _words(name)
                if len(words) >= 2 and len(words[-1]) >= 4:
                    heads.setdefault(words[-1], set()).add(c.id)
        self.heads = [
            (re.compile(rf"\bthe\s+{re.escape(h)}(?:[’']s)?\b", re.I), ids)
            for h, ids in heads.items()
        ]
        for m in _DEFINED.finditer(article_text):
            ids = self._by_tokens(_words(m.group(1)))
            if ids:
                self.acronyms.setdefault(m.group(2).replace(".", ""), set()).update(ids)

    def _by_tokens(self, run: list[str]) -> set[str]:
        ids: set[str] = set()
        if not run:
            return ids
        for toks, cid in self.tokens:
            # "Varnell" names "Varnell Pharmaceuticals": words like "Inc" need not be said.
            core = [t for t in toks if t not in _LEGAL and len(t) > 1] or toks
            covers = toks[-1] in run or len(set(run) & set(core)) * 3 >= len(core) * 2
            if set(run) <= set(toks) and covers:
                ids.add(cid)
        return ids

    def find(self, text: str) -> list[Mention]:
        """Every source named in ``text``."""
        found: list[Mention] = []
        for pattern, cid, any_case in self.exact:
            for m in pattern.finditer(text):
                if any_case or any(ch.isupper() for ch in m.group(0)):
                    found.append(Mention(m.start(), m.end(), (cid,), m.group(0)))
        for pattern, ids in self.heads:  # "the institute’s authors", "the council’s minutes"
            for m in pattern.finditer(text):
                found.append(Mention(m.start(), m.end(), tuple(sorted(ids)), m.group(0)))
        for m in _RUN.finditer(text):
            run = m.group(0).rstrip(".")
            lead = re.match(r"(?:The|A|An)\s+", run)
            at = m.start() + (lead.end() if lead else 0)
            run = run[lead.end() :] if lead else run
            bare = run.replace(".", "").removesuffix("s") if run.replace(".", "").isupper() else ""
            acr = self.acronyms.get(bare, set()) | self.acronyms.get(run.replace(".", ""), set())
            fits = acr | self._by_tokens(_words(run))
            if fits:
                found.append(Mention(at, at + len(run), tuple(sorted(fits)), run))
        # One name per stretch of text: where mentions overlap keep the longest.
        found.sort(key=lambda x: (x.start, -(x.end - x.start)))
        out: list[Mention] = []
        for mention in found:
            if out and mention.start < out[-1].end:
                if mention.end - mention.start > out[-1].end - out[-1].start:
                    out[-1] = mention
                elif (mention.start, mention.end) == (out[-1].start, out[-1].end):
                    both = tuple(sorted(set(out[-1].ids) | set(mention.ids)))
                    out[-1] = Mention(mention.start, mention.end, both, mention.text)
                continue
            out.append(mention)
        return [
            Mention(
                m.start,
                m.end,
                m.ids,
                m.text,
                _GOVERNED.search(text[max(0, m.start - 30) : m.start]) is not None,
            )
            for m in out
        ]


# ----------------------------------------------------------------------------- speakers

_CUE = (
    r"(?:said|says|say|told|tells|claims?|claimed|wrote|writes|reported|reports|stated|states|"
    r"added|adds|explained|explains|argued|argues|noted|notes|warned|warns|insisted|insists|"
    r"asked|asks|replied|replies|declared|declares|announced|announces|maintained|maintains|"
    r"acknowledged|acknowledges|admitted|admits|conceded|concedes|recalled|recalls|continued|"
    r"continues|concluded|concludes|suggested|suggests|observed|observes|tweeted|posted|"
    r"testified|predicted|predicts|promised|promises|vowed|vows|urged|urges|cautioned|"
    r"countered|counters|responded|responds|emphasized|emphasised|emphasizes|stressed|stresses|"
    r"described|describes|called|calls|portrays|portrayed|remarked|commented|joked|quipped|"
    r"complained|complains|recounted|recounts|confirmed|confirms|estimated|estimates|insisted|"
    r"pointed out|put it|thinks|believes|writes|wrote|explains|says)"
)
# A name: capitalized words, initials ("J."), titles ("Dr."), and "of"/"de"/"van" between them.
_TOKEN = (
    r"(?:[A-Z]\.|(?:Mr|Ms|Mrs|Dr|St|Jr|Sr|Prof|Gov|Sen|Rep|Gen|Lt|Col|Sgt|Capt)\.|[A-Z][\w’'\-]*)"
)
_NAME = rf"(?:{_TOKEN}\s+(?:(?:of|de|van|von|der|la|le|du|al|bin|da|di)\s+)?){{0,5}}[A-Z][\w’'\-]+"
_PRONOUN = r"(?:[Hh]e|[Ss]he|[Tt]hey|[Ii]t|[Ww]e|I)"
_WHO = rf"(?P<n>{_NAME}|{_PRONOUN})"
_BEFORE = re.compile(
    rf"{_WHO}\s*,?\s*(?:(?:who|which|has|had|have|also|then|later|once|recently|previously|"
    rf"publicly|\w+ly|would|will|once)\s+)*(?P<v>{_CUE})\b"
)
_APPOSITIVE = re.compile(
    rf"(?P<n>{_NAME})\s*,[^,“”\"«»]{{1,90}},\s*(?:(?:also|then|later|\w+ly)\s+)*(?P<v>{_CUE})\b"
)
# "…, said Katrin Albers, a spokeswoman." (not "said Secure Communities “…”": its object)
_CUE_FIRST = re.compile(rf"\b(?:said|says|added|wrote)\s+(?P<n>{_NAME})(?=\s*[,.;])")
_AFTER_APPOSITIVE = re.compile(
    rf"^\s*[,;:]?\s*(?P<n>{_NAME})\s*,[^,“”\"«»]{{1,90}},\s*(?:\w+ly\s+)?(?P<v>{_CUE})\b"
)
_AFTER = re.compile(
    rf"^\s*[,;:]?\s*(?:(?P<v1>{_CUE})\s+(?P<n1>{_NAME}|{_PRONOUN})\b|"
    rf"(?P<n2>{_NAME}|{_PRONOUN})\s+(?:\w+ly\s+)?(?P<v2>{_CUE})\b)"
)
_ACCORDING = re.compile(rf"according to (?:the\s+)?(?P<n>{_NAME})")
_COLON = re.compile(rf"(?P<n>{_NAME})\s*:\s*$")
_ROLES = {
    "sheriff", "governor", "gov", "mayor", "senator", "sen", "speaker", "president", "director",
    "chief", "secretary", "minister", "judge", "rep", "representative", "professor", "prof",
    "dr", "mr", "ms", "mrs", "commissioner", "officer", "spokesman", "spokeswoman",
    "spokesperson", "chairman", "chairwoman", "chair", "ceo", "coach", "councilman",
    "councilwoman", "councillor", "councilor", "council", "superintendent", "detective",
    "sergeant", "sgt", "captain", "capt", "lieutenant", "general", "gen", "colonel", "col",
    "pastor", "reverend", "rev", "attorney", "lawyer", "dean", "principal", "manager", "founder",
    "inspector", "commander", "agent", "analyst", "economist", "scientist", "researcher",
    "editor", "ambassador", "chancellor", "premier", "alderman", "trustee", "deputy", "madam",
    "sir", "dame", "lord", "lady", "herr", "frau", "monsieur", "madame", "mme", "m", "prime",
    "executive", "vice", "coordinator", "organizer", "organiser", "activist", "nurse",
    "doctor", "pilot", "farmer", "owner", "resident", "student", "teacher", "author", "member",
    "leader", "head", "boss", "forecaster",
}  # fmt: skip
_NOT_NAMES = {
    "the", "a", "an", "but", "and", "in", "on", "at", "as", "if", "when", "while", "after",
    "before", "since", "yet", "so", "still", "then", "now", "this", "that", "these", "those",
    "its", "his", "her", "their", "our", "according", "referring", "asked", "speaking",
    "however", "meanwhile", "later", "earlier", "last", "next", "for", "with", "one", "another",
    "both", "many", "some", "most", "all", "even", "also", "there", "here", "what", "why",
    "how", "where", "who", "today", "yesterday", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "instead", "under", "over", "by", "from", "to", "of",
}  # fmt: skip
# The legal form of a name, which a mention leaves out: "Varnell" for "Varnell Pharmaceuticals".
_LEGAL = {"inc", "ltd", "corp", "corporation", "company", "co", "group", "pharmaceuticals",
          "holdings", "llc", "plc", "gmbh", "ag", "sa", "fc", "afc", "labs", "llp"}  # fmt: skip
_ORG_WORDS = {
    "department", "coalition", "council", "agency", "association", "institute", "university",
    "times", "news", "post", "journal", "globe", "herald", "tribune", "press", "inc", "ltd",
    "corp", "company", "group", "committee", "commission", "office", "bureau", "board",
    "foundation", "center", "centre", "society", "union", "party", "ministry", "service",
    "services", "network", "radio", "television", "tv", "magazine", "review", "gazette",
    "ledger", "daily", "weekly", "club", "league", "federation", "alliance", "court", "police",
    "hospital", "school", "college", "bank", "fund", "authority", "administration", "program",
    "project", "campaign", "city", "county", "state", "republic", "states", "district",
}  # fmt: skip


def _last_cue(text: str) -> str | None:
    """The speaker of the last cue: "Smith said", "Smith, the mayor, said", "said Smith".

    Of two names before one cue ("the chair of the X Association, Hamish Corrie, said";
    "Harold Finch, an economist at Brookport State, told"), the person's wins.
    """
    matches = [*_BEFORE.finditer(text), *_APPOSITIVE.finditer(text), *_CUE_FIRST.finditer(text)]
    if not matches:
        return None
    last = max(m.end() for m in matches)
    names = [m.group("n") for m in matches if m.end() == last]
    people = [n for n in names if (c := clean_name(n)) and _is_person(c, least=1)]
    return (people or names)[0]


def clean_name(raw: str) -> str | None:
    """A speaker's name without sentence-initial words, titles or roles ("Sheriff", "Ms.")."""
    tokens = re.split(r"\s+(?:of|from|at)\s+", raw.strip())[0].split()  # "Osei of Lakeland U."
    while tokens and tokens[0].lower().strip(".,") in _NOT_NAMES:
        tokens = tokens[1:]
    last_role = max(
        (i for i, t in enumerate(tokens) if t.lower().strip(".,") in _ROLES), default=-1
    )
    if 0 <= last_role < len(tokens) - 1:
        tokens = tokens[last_role + 1 :]
    name = " ".join(tokens).strip(" ,.")
    return name or None


def _is_person(name: str, least: int = 2) -> bool:
    tokens = name.split()
    return (
        len(tokens) >= least
        and not name.isupper()
        and not any(
            t.lower().strip(".,").removesuffix("’s").removesuffix("'s") in _ORG_WORDS
            for t in tokens
        )
    )


def surname(name: str) -> str:
    """The last word of a person's name, which later mentions of them use ("Hodgson")."""
    return name.split()[-1].lower().strip(".,") if name.split() else ""


# ----------------------------------------------------------------------------- sentences

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "st", "gov", "sen", "rep", "jr", "sr", "no", "vs", "prof", "gen",
    "lt", "col", "sgt", "capt", "inc", "co", "corp", "ltd", "e.g", "i.e", "etc", "mt", "ft",
    "rev", "hon", "dept", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
    "nov", "dec", "u.s", "u.k", "a.m", "p.m",
}  # fmt: skip
_END = re.compile(r"[.!?…]+[”’\"»)]*\s+(?=[\"“‘«„(\[]?[A-Z0-9])")


def sentences(text: str, quotes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The sentences of a block, never ending inside a quote."""
    bounds = [0]
    spans = sorted(quotes)
    for m in _END.finditer(text):
        at = m.start()
        i = bisect_right(spans, (at, len(text) + 1)) - 1
        if any(s <= at < e and m.end() <= e + 1 for s, e in spans[max(0, i - 1) : i + 1]):
            continue  # a full stop inside a quote, the quote going on
        word = re.search(r"([\w.]+)$", text[max(0, at - 30) : at])
        token = word.group(1).lower() if word else ""
        if token in _ABBREVIATIONS or re.fullmatch(r"[a-z]", token):
            continue
        bounds.append(m.end())
    bounds.append(len(text))
    return [(a, b) for a, b in pairwise(bounds) if b > a]


# ----------------------------------------------------------------------------- tying quotes

_TITLED = re.compile(
    r"\b(?:titled|entitled|headlined|headline|dubbed|named)\b(?:\s+[\w’']+){0,3}\s*,?\s*$", re.I
)
_DOCUMENT = re.compile(
    r"\b(?:the|its|their|this|that|his|her)\s+(?:[\w’'\-]+\s+){0,2}(?:draft|memo|report|study|"
    r"statement|post|paper|letter|article|editorial|announcement|release|document|survey|"
    r"testimony|filing|minutes|proposal|transcript|newsletter|e-?mail|abstract|advisory|"
    r"communiqu[ée]|notice|blog|column|piece|story|essay|op-ed|interview|broadcast|"
    r"programme|podcast|tweet|video)(?:[’']s)?\s+(?:\w+ly\s+|also\s+|then\s+)?"
    r"(?:says|said|states|stated|reads|read|describes|described|adds|added|notes|noted|argues|"
    r"argued|concludes|concluded|warns|warned|calls|called|puts it|goes on|went on|claims|"
    r"claimed|found|finds|sums up|summed up|ends|ended|begins|began|cites|quotes|quoted)\b",
    re.I,
)  # only as the subject of what is said: "the memo goes on", "its statement said"
# A citation's author form: "Surname, First" or "Surname I", never an outlet's name.
_AUTHOR = re.compile(r"^[A-Z][\w’'\-]+(?:,\s*[A-Z][\w’'\-]+|\s+[A-Z]\.?)(?:\s|,|$)")
_MARK = re.compile(r"\[\^?(\w+)\]")
_MARKER = re.compile(r"^\s*[”’\"»]?\s*\[\^?(\w+)\]")


def _archived(url: str) -> str:
    """The original URL of a Wayback capture's URL, else the URL."""
    m = re.search(r"/web/\d+[a-z_]*/(https?://.+)$", url)
    return m.group(1) if m else url


@dataclass
class _Quote:
    found: Found
    text: str
    kind: QuoteKind
    block: int
    start: int  # in the first block
    end: int  # in the last block
    last: int  # the last block
    speaker: str | None = None
    source: str | None = None
    cue: str | None = None


class _Attributor:
    def __init__(self, parsed: Parsed, found: list[Found], candidates: list[Candidate]) -> None:
        self.blocks = parsed.blocks
        self.candidates = {c.id: c for c in candidates}
        self.by_url = {url_key(_archived(u)): c.id for c in candidates for u in c.urls}
        self.by_label = {label: c.id for c in candidates for label in c.labels}
        self.namer = Namer(candidates, "\n".join(b.text for b in parsed.blocks))
        self.spans: dict[int, list[tuple[int, int]]] = {}
        for f in found:
            if f.kind is QuoteKind.BLOCK:
                continue
            for b, s, e in f.pieces:
                self.spans.setdefault(b, []).append((s, e))
        self.parsed = parsed
        self._sentences: dict[int, list[tuple[int, int]]] = {}
        self._people: dict[int, list[tuple[int, str]]] = {}
        self.masked = [self._mask(i) for i in range(len(self.blocks))]
        self.mentions = [self.namer.find(t) for t in self.masked]
        # Where each block refers to one source for sure: a name, a link, a footnote mark.
        self.referred: list[list[tuple[int, str]]] = []
        for i, blk in enumerate(self.blocks):
            refs = [(m.start, m.ids[0]) for m in self.mentions[i] if len(m.ids) == 1]
            refs += [(s, cid) for s, _, href in blk.links
                     if (cid := self.by_url.get(url_key(_archived(href))))]  # fmt: skip
            refs += [
                (at, self.by_label[label]) for at, label in blk.markers if label in self.by_label
            ]
            refs += [(m.start(), self.by_label[m.group(1)]) for m in _MARK.finditer(blk.text)
                     if m.group(1) in self.by_label]  # fmt: skip
            self.referred.append(sorted(refs))
        # Surnames of the people the article names in full, so that "Benson" alone is a person.
        self.surnames = {
            surname(n)
            for t in self.masked
            for n in (clean_name(r.group(0)) for r in _RUN.finditer(t))
            if n and _is_person(n) and not self.namer.find(n)
        }

    def _mask(self, i: int) -> str:
        text = list(self.blocks[i].text)
        for s, e in self.spans.get(i, []):
            for k in range(s, e):
                text[k] = " "
        return "".join(text)

    def sentence(self, block: int, at: int) -> tuple[int, int]:
        """The sentence of a block that holds offset ``at``."""
        if block not in self._sentences:
            self._sentences[block] = sentences(self.blocks[block].text, self.spans.get(block, []))
        spans = self._sentences[block]
        i = bisect_right(spans, (at, len(self.blocks[block].text) + 1)) - 1
        for s, e in spans[max(0, i - 1) : i + 2]:
            if s <= at < e or at == e:
                return s, e
        return 0, len(self.blocks[block].text)

    # -- evidence

    def by_link(self, block: int, lo: int, hi: int, near: int) -> tuple[str, str] | None:
        links = [(abs((s + e) // 2 - near), href) for s, e, href in self.blocks[block].links
                 if s < hi and e > lo]  # fmt: skip
        for _, href in sorted(links):
            cid = self.by_url.get(url_key(_archived(href)))
            if cid:
                return cid, f"link: {href}"
        return None

    def by_marker(self, block: int, end: int, stop: int) -> tuple[str, str] | None:
        b = self.blocks[block]
        labels = [label for at, label in b.markers if end <= at <= max(stop, end + 3)]
        m = _MARKER.match(b.text[end : end + 16])  # "…” [2]" may start the next sentence
        if m:
            labels.insert(0, m.group(1))
        for label in labels:
            if label in self.by_label:
                return self.by_label[label], f"reference [{label}]"
        return None

    def pick(self, mentions: list[Mention], near: int, context: str) -> tuple[str, str] | None:
        """The source named nearest ``near``; a tie between sources is settled by title words."""

        def rank(m: Mention) -> tuple[bool, int]:
            return not m.governed, min(abs(m.start - near), abs(m.end - near))

        for m in sorted(mentions, key=rank):
            ids = m.ids
            if len(ids) > 1:
                words = set(_words(context))
                scores = {
                    cid: len(set(_words(self.candidates[cid].title or "")) & words) for cid in ids
                }
                best = max(scores.values())
                winners = [cid for cid, s in scores.items() if s == best]
                if best == 0 or len(winners) > 1:
                    continue
                ids = (winners[0],)
            return ids[0], f"named: {m.text}"
        return None

    def in_range(self, block: int, lo: int, hi: int) -> list[Mention]:
        return [m for m in self.mentions[block] if m.start >= lo and m.end <= hi]

    # -- speakers

    def speaker(self, q: _Quote) -> str | None:
        if q.kind is QuoteKind.BLOCK:
            if q.found.credit:
                return clean_name(re.split(r",|\bof\b", q.found.credit)[0])
            intro = q.block - 1
            if intro < 0 or self.blocks[intro].kind not in ("p", "li"):
                return None
            text = self.masked[intro]
            s, _ = self.sentence(intro, len(text) - 1)
            return self._who(text[s:], "", intro, len(text), s)
        s, _ = self.sentence(q.block, q.start)
        _, e = self.sentence(q.last, q.end)
        pre = self.masked[q.block][s : max(s, q.start - 1)]
        post = self.masked[q.last][q.end + 1 : e]
        return self._who(pre, post, q.block, q.start, s)

    def _who(self, pre: str, post: str, block: int, at: int, sentence: int) -> str | None:
        """The speaker named around a quote: after it, before a colon, before a cue, else in the
        sentence before, else (a quote opening a paragraph) the person the paragraph before named.
        """
        raw = None
        m = _AFTER.match(post) or _AFTER_APPOSITIVE.match(post)
        if m:
            raw = (m.group("n1") or m.group("n2")) if "n1" in m.groupdict() else m.group("n")
        if raw is None:
            raw = _last_cue(pre)
        if raw is None:
            m2 = _COLON.search(pre)
            raw = m2.group("n") if m2 else None
        if raw is None:
            m3 = _ACCORDING.search(pre) or _ACCORDING.search(post)
            raw = m3.group("n") if m3 else None
        if raw is None and not pre.strip() and sentence > 0:
            s, _ = self.sentence(block, sentence - 1)
            raw = _last_cue(self.masked[block][s:sentence])  # "…, Vasquez said. “…”"
        if raw is None and not pre.strip() and sentence == 0 and block > 0 and not post.strip():
            intro = self.masked[block - 1].rstrip()
            if intro.endswith(":"):  # "In an editorial, the paper argued:" names who, or no one
                s, _ = self.sentence(block - 1, len(intro) - 1)
                raw = _last_cue(intro[s:])
            else:
                return self._resolve("she", block - 1, len(self.masked[block - 1]))
        if raw is None:
            return None
        if re.fullmatch(_PRONOUN, raw):
            return self._resolve(raw.lower(), block, at)
        return clean_name(raw)

    def _resolve(self, pronoun: str, block: int, at: int) -> str | None:
        """The person (he, she) or organisation (it, they) last named before ``at``."""
        if pronoun in ("i", "we"):
            return None
        for b in range(block, max(-1, block - 6), -1):
            text = self.masked[b][: at if b == block else None]
            if pronoun in ("it", "they"):
                before = [m for m in self.mentions[b] if m.end <= len(text)]
                if before:
                    return before[-1].text
                if pronoun == "it":
                    continue
            people = [name for end, name in self.people(b) if end <= len(text)]
            if people:
                return people[-1]
        return None

    def people(self, block: int) -> list[tuple[int, str]]:
        """The people a block names, with where each name ends (worked out once a block)."""
        if block not in self._people:
            found = []
            for r in _RUN.finditer(self.masked[block]):
                name = clean_name(r.group(0))
                if not name or not (_is_person(name) or name.lower() in self.surnames):
                    continue
                if self._not_an_outlet(name):
                    found.append((r.end(), name))
            self._people[block] = found
        return self._people[block]

    # -- the whole

    def attribute(self, q: _Quote) -> None:
        b = self.blocks[q.block]
        if q.kind is QuoteKind.BLOCK:
            intro = (
                q.block - 1
                if q.block > 0 and self.blocks[q.block - 1].kind in ("p", "li")
                else None
            )
            context = q.text + " " + (self.blocks[intro].text if intro is not None else "")
            cited = q.found.cite and self.by_url.get(url_key(_archived(q.found.cite)))
            members = [k for k, _, _ in q.found.pieces]
            found = ((cited, f"link: {q.found.cite}") if cited else None) or next(
                (r for k in members if (r := self.by_link(k, 0, len(self.blocks[k].text), 0))), None
            )
            if found is None and intro is not None:
                s, e = self.sentence(intro, len(self.blocks[intro].text) - 1)
                n = len(self.blocks[intro].text)
                found = self.by_link(intro, s, e, n) or self.pick(
                    self.in_range(intro, s, e), n, context
                )
            if found is None and q.found.credit:
                found = self.pick(self.namer.find(q.found.credit), 0, context)
            if found is None:
                found = self.by_marker(
                    q.last, len(self.blocks[q.last].text), len(self.blocks[q.last].text)
                )
        else:
            lo, _ = self.sentence(q.block, q.start)
            _, hi = self.sentence(q.last, q.end)
            hi = hi if q.last == q.block else len(b.text)
            context = q.text + " " + b.text[lo:hi]
            mentions = self.in_range(q.block, lo, hi)
            found = (
                self.by_link(q.block, q.start - 1, q.end + 1, q.start)
                or self.by_link(q.block, lo, hi, q.start)
                or self.by_marker(q.last, q.end, hi)
                or self.pick([m for m in mentions if m.governed], q.start, context)
            )
        q.speaker = self.speaker(q)
        if found is None and q.speaker:
            found = self.speaking_source(q.speaker, context)
        if found is None and q.kind is not QuoteKind.BLOCK:
            found = self.later_marker(q) or self.pick(mentions, q.start, context)
        if found is None:
            found = self.anaphora(q)
        if found:
            q.source, q.cue = found

    def speaking_source(self, speaker: str, context: str) -> tuple[str, str] | None:
        """The source a speaker is: an organisation ("ICE claims"), or an author ("Mendel J.")."""
        for name in (speaker, speaker.split()[-1]) if _is_person(speaker) else (speaker,):
            named = self.namer.find(name)
            if named and named[0].end - named[0].start >= len(name) - 3:
                found = self.pick(named, 0, context)
                if found:
                    return found[0], f"speaker: {speaker}"
        return None

    def anaphora(self, q: _Quote) -> tuple[str, str] | None:
        """ "The memo", "the draft", "its statement": the source last referred to before."""
        lo, _ = self.sentence(q.block, q.start)
        pre = self.masked[q.block][lo : max(lo, q.start - 1)]
        if q.kind is QuoteKind.BLOCK or (not pre.strip() and q.block > 0):
            intro = q.block - 1
            text = self.masked[intro]
            s, _ = self.sentence(intro, len(text) - 1)
            pre = text[s:] if text.rstrip().endswith((":", "that")) else pre
        m = _DOCUMENT.search(pre)
        if m is None:
            return None
        noun = m.group(0).split()[-1].lower()
        titled = [c.id for c in self.candidates.values() if noun in _words(c.title or "")]
        if len(titled) == 1:  # "their newsletter": the one source titled so
            return titled[0], f"{' '.join(m.group(0).split())}: the source of that title"
        personal = m.group(0).split()[0].lower() in ("his", "her")
        for b in range(q.block, max(-1, q.block - 4), -1):
            limit = q.start if b == q.block else len(self.blocks[b].text)
            refs = [(at, cid) for at, cid in self.referred[b] if at < limit]
            if personal:  # "her paper": the last source that is a person (an author)
                refs = [(at, cid) for at, cid in refs if self.is_author(cid)]
            if refs:
                at, cid = refs[-1]
                line, _ = self.parsed.where(b, at)
                return cid, f"{' '.join(m.group(0).split())}: the source named at line {line}"
        return None

    def _not_an_outlet(self, name: str) -> bool:
        """Whether a name is no source, or a source that is a person (an author)."""
        return all(self.is_author(cid) for m in self.namer.find(name) for cid in m.ids)

    def is_author(self, cid: str) -> bool:
        """Whether a source goes by a person's name ("Okonkwo, Adaeze", "Mendel J")."""
        return any(
            _AUTHOR.match(n) and _is_person(n.replace(",", " ")) for n in self.candidates[cid].names
        )

    def later_marker(self, q: _Quote) -> tuple[str, str] | None:
        """A footnote mark later in the paragraph ("“…,” she said. “…” [2]")."""
        b = self.blocks[q.last]
        marks = [(at, label) for at, label in b.markers if at >= q.end]
        marks += [(m.start(), m.group(1)) for m in _MARK.finditer(b.text, q.end)]
        for _, label in sorted(marks):
            if label in self.by_label:
                return self.by_label[label], f"reference [{label}] in the paragraph"
        return None

    def nearby(self, q: _Quote) -> None:
        """A source named elsewhere in the paragraph (or the paragraph introducing a block)."""
        block, near = q.block, q.start
        if q.kind is QuoteKind.BLOCK:
            block = q.block - 1
            if block < 0 or self.blocks[block].kind not in ("p", "li"):
                return
            near = len(self.blocks[block].text)
        found = self.pick(self.mentions[block], near, q.text + " " + self.blocks[block].text)
        if found:
            q.source, q.cue = found[0], found[1].replace("named", "named nearby")


def _word_count(text: str) -> int:
    words = len(re.findall(r"[^\W_]+(?:[’'\-][^\W_]+)*", text))
    cjk = len(re.findall(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]", text))
    return max(words, cjk // 2)  # CJK writes no spaces: count two characters as a word


# A speaker's tie by where the words were printed ("told the Ledger") beats one by a link.
_STRENGTH = {"named": 0, "reference": 1, "speaker": 2, "link": 3}


def _same_speaker(parsed: Parsed, quotes: list[_Quote], untied: list[_Quote]) -> None:
    """Tie the quotes of ``untied`` that have none to their speaker's best tie, if any."""
    tied: dict[str, tuple[str, _Quote]] = {}
    for q in sorted(quotes, key=lambda q: _STRENGTH.get((q.cue or "x").split()[0].rstrip(":"), 4)):
        if q.source and q.speaker and _is_person(q.speaker, least=1):
            tied.setdefault(surname(q.speaker), (q.source, q))
    for q in untied:
        hit = tied.get(surname(q.speaker)) if q.source is None and q.speaker else None
        if hit:
            source, other = hit
            line, _ = parsed.where(other.block, other.start)
            q.source, q.cue = source, f"same speaker as line {line}"


def attribute(
    parsed: Parsed, found: list[Found], candidates: list[Candidate]
) -> list[ArticleQuote]:
    """Tie each quote to a speaker and a source, and say what tied it."""
    work = _Attributor(parsed, found, candidates)
    quotes: list[_Quote] = []
    for f in found:
        first, final = f.pieces[0], f.pieces[-1]
        parts = [parsed.blocks[k].text[s:e].strip() for k, s, e in f.pieces]
        text = " ".join(p for p in parts if p).strip()
        kind = f.kind
        if kind is QuoteKind.QUOTE:
            text = text.rstrip(",").strip()
            before = parsed.blocks[first[0]].text[max(0, first[1] - 80) : max(0, first[1] - 1)]
            if _word_count(text) <= 3:
                kind, text = QuoteKind.NAME, text.strip(" ,.;:!?")
            elif _TITLED.search(before):
                kind, text = QuoteKind.TITLE, text.strip(" ,.;:")
        if not any(ch.isalnum() for ch in text):
            continue
        quotes.append(_Quote(f, text, kind, first[0], first[1], final[2], final[0]))
    for q in quotes:
        work.attribute(q)
    checked = [q for q in quotes if q.kind in (QuoteKind.QUOTE, QuoteKind.BLOCK)]
    _same_speaker(parsed, quotes, checked)
    for q in checked:
        if q.source is None:
            work.nearby(q)
    _same_speaker(parsed, quotes, checked)  # ties found nearby tie their speakers' other quotes
    out = []
    for q in quotes:
        b = parsed.blocks[q.block]
        start = q.start
        while start < len(b.text) - 1 and b.text[start].isspace():
            start += 1
        line, column = parsed.where(q.block, start)
        out.append(ArticleQuote(q.text, q.kind, line, column, q.speaker, q.source, q.cue))
    return out


def read_article(source: str, fmt: str, name: str, sources: Sources | None = None) -> Article:
    """Read an article's text: its quotes tied to ``sources`` (or else to its reference list)."""
    parsed = parse(source, fmt)
    ref_blocks = reference_blocks(parsed.blocks)
    refs = []
    for n, i in enumerate(ref_blocks, 1):
        label, text, publisher, title, url = parse_reference(parsed.blocks[i], n)
        line, _ = parsed.where(i, 0)
        refs.append(Reference(label, text, line, publisher, title, url))
    links = [
        Link(href, b.text[s:e], parsed.where(i, s)[0])
        for i, b in enumerate(parsed.blocks)
        for s, e, href in b.links
    ]
    found, raw_notes = find_quotes(parsed.blocks, set(ref_blocks))
    candidates = (
        candidates_from_sources(sources, refs)
        if sources is not None
        else candidates_from_references(refs, links)
    )
    quotes = attribute(parsed, found, candidates)
    notes = []
    for block, at, why in raw_notes:
        b = parsed.blocks[block]
        line, column = parsed.where(block, at)
        mark = b.text[at] if 0 <= at < len(b.text) else "quote mark"
        what = (
            f"the opening {mark} is never closed; read on as if it were not there"
            if why == "unclosed"
            else f"a closing {mark} with no opening mark"
        )
        notes.append(f"{name}:{line}:{column}: {what}")
    return Article(
        name, tuple(quotes), tuple(refs), tuple(links), tuple(notes), parsed.title, parsed.published
    )
