"""PDF bytes -> Text: pages, paragraphs, columns, hyphens, ligatures, and PDFs that cannot be read.

Every PDF is typeset here with fpdf2, so the text of each page is known; none is checked in.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pytest
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import EncryptionMethod
from PIL import Image, ImageDraw

from sourcecheck.match import match_quote
from sourcecheck.models import Text, Verdict
from sourcecheck.pdf import NO_TEXT_LAYER, pdf_text
from tests.http_server import RouteServer

ICE = (
    "Secure Communities is a simple and common sense way to carry out ICE's priorities. It uses "
    "an already-existing federal information-sharing partnership between ICE and the Federal "
    "Bureau of Investigation (FBI) that helps to identify criminal aliens without imposing new "
    "or additional requirements on state and local law enforcement. For decades, local "
    "jurisdictions have shared the fingerprints of individuals who are arrested or booked into "
    "custody with the FBI to see if they have a criminal record."
)
GLOBE = (
    "Bristol County Sheriff Thomas Hodgson said the program isn't just a big victory for law "
    "enforcement. It is a big victory for the families who have lost loved ones, he said, "
    "pointing to several high-profile motor-vehicle accidents involving illegal immigrants."
)
FOX = (
    "New York City Council Speaker Christine Quinn said that it will harm too many people "
    "charged with low-level offenses and make immigrants hesitant to cooperate with police or "
    "report crimes. Advocates for immigrants said they would keep up the fight in Albany and in "
    "the courts, and several members of the council promised hearings on the program before "
    "the end of the year. The governor's office did not answer questions about the program."
)
NYIC = (
    "It has been clear from its inception that this program undermines our safety and infringes "
    "on our civil rights. And evidence of its fundamental flaws has only continued to mount. We "
    "now know that Latinos are disproportionately arrested by ICE through Secure Communities, "
    "the program has an adverse impact on community policing, and states and localities around "
    "the country do not want it in their communities."
)
FILLER = (
    "The federal program checks the fingerprints of everyone booked into a county jail against "
    "the immigration databases of the Department of Homeland Security. "
) * 6


RUNNING_HEAD = "Secure Communities: A Report to the County Board"


def pdf(*pages: Callable[[FPDF], None], furniture: bool = False) -> bytes:
    """A PDF of one page per function, each writing on the page in Helvetica 11 pt; with
    ``furniture``, a running head and a page number on every page, as a report has."""

    class Document(FPDF):
        def header(self) -> None:
            if furniture:
                self.set_font("Helvetica", size=9)
                self.cell(0, 8, RUNNING_HEAD, align="R", new_x="LMARGIN", new_y="NEXT")
                self.ln(6)
                self.set_font("Helvetica", size=11)

        def footer(self) -> None:
            if furniture:
                self.set_y(-15)
                self.cell(0, 10, f"Page {self.page_no()}", align="C")

    document = Document()
    document.set_font("Helvetica", size=11)
    for write in pages:
        document.add_page()
        write(document)
    return bytes(document.output())


def paragraphs(*texts: str, width: float = 0) -> Callable[[FPDF], None]:
    """Write each text as a paragraph, wrapped to ``width`` (0: the page), a gap between."""

    def write(document: FPDF) -> None:
        for text in texts:
            document.multi_cell(width, 6, text, new_x="LMARGIN", new_y="NEXT")
            document.ln(4)

    return write


def text_of(body: bytes) -> Text:
    text = pdf_text(body)
    assert isinstance(text, Text), text
    return text


def assert_verifies(text: Text, *quotes: str) -> None:
    for quote in quotes:
        match = match_quote(quote, text)
        assert match.verdict is Verdict.VERIFIED, (quote, match)


def assert_not_verified(text: Text, *quotes: str) -> None:
    for quote in quotes:
        assert match_quote(quote, text).verdict is not Verdict.VERIFIED, quote


# ----------------------------------------------------------------------------- text


def test_one_page_paragraph_reads_as_one_line_of_text() -> None:
    text = text_of(pdf(paragraphs(ICE, GLOBE)))

    assert text.kind == "visible"
    assert text.pages == (0,)
    # Each paragraph wraps over several lines on the page; in the text a paragraph is one line.
    assert text.text.split("\n") == [ICE, GLOBE]
    assert_verifies(
        text,
        "Secure Communities is a simple and common sense way to carry out ICE\u2019s priorities.",
        # An ellipsis over a line break of the page: no block boundary stands in its way.
        "It uses an already-existing federal information-sharing partnership \u2026 that helps "
        "to identify criminal aliens without imposing new or additional requirements",
        "isn\u2019t just a big victory for law enforcement.",
        "[the program] is a big victory for the families who have lost loved ones.",
        "several high-profile motor-vehicle accidents involving illegal immigrants",
    )
    assert_not_verified(
        text,
        "Secure Communities is a complex and common sense way to carry out ICE's priorities.",
        "isn't just a small victory for law enforcement.",
        "several high-profile motor-vehicle accidents involving legal immigrants",
    )


def test_quote_on_page_two_gives_page_two() -> None:
    body = pdf(paragraphs(FILLER), paragraphs(GLOBE), paragraphs(FILLER, FOX), furniture=True)
    text = text_of(body)

    assert len(text.pages) == 3
    # Page numbers and running heads are no part of the text.
    assert "Page 2" not in text.text
    assert RUNNING_HEAD not in text.text
    for quote, page in [
        ("isn't just a big victory for law enforcement.", 2),
        ("[the program] is a big victory for the families who have lost loved ones.", 2),
        (
            "New York City Council Speaker Christine Quinn said that it will harm too many people "
            "charged with low-level offenses",
            3,
        ),
    ]:
        match = match_quote(quote, text)
        assert match.verdict is Verdict.VERIFIED, (quote, match)
        assert match.start is not None
        assert text.page_of(match.start) == page
    assert_not_verified(text, "isn't just a big victory for law and order.")


def test_paragraph_across_a_page_break_reads_as_one() -> None:
    def at_foot(document: FPDF) -> None:
        document.set_y(document.h - 32)  # the paragraph starts near the foot and runs over
        document.multi_cell(0, 6, NYIC)

    text = text_of(pdf(at_foot, furniture=True))

    assert len(text.pages) == 2
    assert text.text == NYIC  # no page number, no running head, no newline
    assert_verifies(
        text,
        "it has been clear from its inception that this program undermines our safety and "
        "infringes on our civil rights. And evidence of its fundamental flaws has only continued "
        "to mount. We now know that Latinos are disproportionately arrested by ICE through Secure "
        "Communities, the program has an adverse impact on community policing, and states and "
        "localities around the country do not want it in their communities.",
    )
    assert_not_verified(
        text, "the program has no adverse impact on community policing, and states and localities"
    )


def test_two_columns_read_column_by_column() -> None:
    def columns(document: FPDF) -> None:
        with document.text_columns(ncols=2, text_align="J", balance=True) as cols:
            for paragraph in (FOX, NYIC, GLOBE):
                with cols.paragraph(bottom_margin=3) as par:
                    par.write(paragraph)

    text = text_of(pdf(columns))

    # Three paragraphs, read down the first column and then the second, whichever column the
    # middle one runs across.
    assert text.text.split("\n") == [FOX, NYIC, GLOBE]
    assert_verifies(
        text,
        "New York City Council Speaker Christine Quinn said that it will harm too many people "
        "charged with low-level offenses and make immigrants hesitant to cooperate with police "
        "or report crimes.",
        "We now know that Latinos are disproportionately arrested by ICE through Secure "
        "Communities, the program has an adverse impact on community policing \u2026",
        "several high-profile motor-vehicle accidents involving illegal immigrants",
    )
    assert_not_verified(
        text,
        "it will harm too few people charged with low-level offenses",
        "We now know that Latinos are not disproportionately arrested by ICE",
    )


def test_word_hyphenated_at_line_end_is_joined() -> None:
    lines = (
        "Officials said the county jail would check the finger-\n"
        "prints of everyone it books. Critics said the program has an adverse impact on commu-\n"
        "nity policing and scares illegal immi-\n"
        "grants away from the police. The sheriff pointed to several high-profile motor-\n"
        "vehicle accidents."
    )
    text = text_of(pdf(paragraphs(lines, "Motor-vehicle accidents were up in May.")))

    assert "finger-prints" not in text.text
    assert_verifies(
        text,
        "the county jail would check the fingerprints of everyone it books.",
        "the program has an adverse impact on community policing",
        "scares illegal immigrants away from the police.",
        # A compound that breaks at its own hyphen keeps it, since the document writes it so.
        "several high-profile motor-vehicle accidents",
    )
    assert_not_verified(
        text,
        "the program has an adverse impact on community relations",
        "scares legal immigrants away from the police.",
    )


def test_word_hyphenated_at_page_end_is_joined() -> None:
    def at_foot(document: FPDF) -> None:
        document.set_y(document.h - 35)
        document.multi_cell(
            0, 6, "The sheriff said the program has led to the removal and subsequent depor-"
        )

    text = text_of(
        pdf(at_foot, paragraphs("tation of many people charged with low-level offenses."))
    )

    assert text.text == (
        "The sheriff said the program has led to the removal and subsequent deportation of many "
        "people charged with low-level offenses."
    )
    assert text.page_of(text.text.index("of many")) == 2
    assert_verifies(text, "the removal and subsequent deportation of many people")
    assert_not_verified(text, "the removal and subsequent deportation of few people")


# ----------------------------------------------------------------------------- ligatures


def unicode_font() -> Path | None:
    """A TrueType font on this machine that has the fi and fl ligature characters."""
    candidates: list[str] = []
    if shutil.which("fc-list"):
        listed = subprocess.run(
            ["fc-list", ":fontformat=TrueType", "file"], capture_output=True, text=True, check=False
        )
        candidates = sorted(line.split(":")[0].strip() for line in listed.stdout.splitlines())
    for folder in ("/usr/share/fonts", "/usr/local/share/fonts"):
        if Path(folder).is_dir():
            candidates += sorted(str(p) for p in Path(folder).rglob("*.ttf"))
    preferred = sorted(candidates, key=lambda name: "DejaVuSans.ttf" not in name)
    for name in preferred:
        if not name.endswith(".ttf"):
            continue
        with TTFont(name, lazy=True) as font:
            cmap = font.getBestCmap() or {}
        if 0xFB01 in cmap and 0xFB02 in cmap:
            return Path(name)
    return None


@pytest.fixture(scope="module")
def font() -> Iterator[Path]:
    found = unicode_font()
    if found is None:
        pytest.skip("no TrueType font with ligatures here (Debian: fonts-dejavu-core)")
    yield found


LIGATURE_TEXT = (
    "The \ufb01rst \ufb02ow of \ufb01ngerprints to ICE was the o\ufb03cial \ufb01nding of the "
    "e\ufb00ort, said the sta\ufb00 of the sheri\ufb00."
)


def test_ligature_characters_are_read_as_letters(font: Path) -> None:
    def write(document: FPDF) -> None:
        document.add_font("Unicode", fname=str(font))
        document.set_font("Unicode", size=11)
        document.multi_cell(0, 6, LIGATURE_TEXT)

    text = text_of(pdf(write))

    assert not any("\ufb00" <= c <= "\ufb06" for c in text.text)
    assert text.text == (
        "The first flow of fingerprints to ICE was the official finding of the effort, said the "
        "staff of the sheriff."
    )
    assert_verifies(text, "The first flow of fingerprints to ICE was the official finding")
    assert_not_verified(text, "The first flow of fingerprints to ICE was the final finding")


def test_ligatures_made_by_text_shaping_are_read_as_letters(font: Path) -> None:
    pytest.importorskip("uharfbuzz", reason="fpdf2 shapes text with uharfbuzz")
    plain = "The first flow of fingerprints to ICE was the official finding of the effort."

    def write(document: FPDF) -> None:
        document.add_font("Unicode", fname=str(font))
        document.set_font("Unicode", size=11)
        document.set_text_shaping(True)
        document.multi_cell(0, 6, plain)

    body = pdf(write)
    text = text_of(body)

    # The font drew "fi" as one glyph (one box for two characters): a ligature was made.
    doc = pdfium.PdfDocument(body)
    textpage = doc[0].get_textpage()
    at = plain.index("first")
    assert textpage.get_charbox(at) == textpage.get_charbox(at + 1)
    textpage.close()
    doc.close()
    assert text.text == plain
    assert_verifies(text, "The first flow of fingerprints to ICE was the official finding")
    assert_not_verified(text, "The first flow of fingerprints to ICE was the final finding")


# ----------------------------------------------------------------------------- unreadable PDFs


def test_encrypted_pdf_gives_a_reason() -> None:
    document = FPDF()
    document.add_page()
    document.set_font("Helvetica", size=11)
    document.multi_cell(0, 6, GLOBE)
    document.set_encryption(
        owner_password="owner", user_password="secret", encryption_method=EncryptionMethod.RC4
    )

    assert pdf_text(bytes(document.output())) == "the PDF is encrypted (it needs a password)"


def test_pdf_encrypted_without_a_user_password_is_read() -> None:
    # Only the owner password is set: any reader opens it, as a browser does.
    document = FPDF()
    document.add_page()
    document.set_font("Helvetica", size=11)
    document.multi_cell(0, 6, GLOBE)
    document.set_encryption(owner_password="owner", encryption_method=EncryptionMethod.RC4)

    text = text_of(bytes(document.output()))

    assert_verifies(text, "isn't just a big victory for law enforcement.")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"<!doctype html><p>Not found</p>", id="html"),
        pytest.param(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", id="truncated-header"),
        pytest.param(pdf(paragraphs(GLOBE))[:300], id="cut-short"),
    ],
)
def test_broken_pdf_gives_a_reason(body: bytes) -> None:
    assert pdf_text(body) == "the PDF is damaged or not a PDF"


def test_scanned_pdf_without_a_text_layer_gives_a_reason() -> None:
    scan = Image.new("L", (850, 1100), "white")
    draw = ImageDraw.Draw(scan)
    for y in range(100, 1000, 40):  # lines of "print", as a scanner sees them
        draw.rectangle((80, y, 770, y + 14), fill="black")

    def write(document: FPDF) -> None:
        document.image(scan, x=0, y=0, w=document.w)

    assert pdf_text(pdf(write, write)) == NO_TEXT_LAYER


def test_blank_pdf_gives_no_text_layer() -> None:
    assert pdf_text(pdf(lambda document: None)) == NO_TEXT_LAYER


# ----------------------------------------------------------------------------- through verify


def test_a_pdf_source_is_verified_with_its_page(server: RouteServer) -> None:
    import asyncio

    from sourcecheck.fetch import FetchSettings
    from sourcecheck.models import Quote, Source, Sources
    from sourcecheck.verify import Options, verify

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for words in ("An opening page about the program.", ICE):
        pdf.add_page()
        pdf.multi_cell(0, 6, words)
    for path, content_type in (
        ("/pdf/report.pdf", "application/pdf"),
        ("/pdf/bytes", "application/octet-stream"),
    ):
        url = server.add(path, bytes(pdf.output()), content_type=content_type)
        quotes = (
            Quote("It uses an already-existing federal information-sharing partnership"),
            Quote("It uses a new federal partnership"),
        )
        options = Options(fetch=FetchSettings(allow_private=True), use_archive=False)
        report = asyncio.run(
            verify(Sources(Path("s.yaml"), (Source("ice", url, None, quotes),)), options)
        )
        verified, altered = report.quotes
        assert verified.verdict is Verdict.VERIFIED and verified.match is not None
        assert verified.match.page == 2
        assert altered.verdict is not Verdict.VERIFIED
        scanned = server.add(path + "-scan", b"%PDF-1.4\n%broken", content_type=content_type)
        bad = asyncio.run(
            verify(Sources(Path("s.yaml"), (Source("bad", scanned, None, quotes),)), options)
        )
        assert bad.results[0].status.value == "error"
        assert bad.results[0].reason == "the PDF is damaged or not a PDF"
