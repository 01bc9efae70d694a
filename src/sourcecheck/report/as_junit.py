"""Report -> JUnit XML: one test case per quote (and per source with no readable copy).

CI dashboards (GitLab, Jenkins, GitHub test reporters) read JUnit XML. A verdict named in
``--fail-on`` is a ``<failure>``; any other verdict short of verified passes with a warning in
``<system-out>``. The document is built with ElementTree, so it is always well-formed: text from
pages is stripped of the characters XML 1.0 cannot hold.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from ..models import QuoteResult, Report, SourceResult, Verdict
from . import clean, location, one_line, partial_note, source_state, total, where_label

# Characters XML 1.0 does not allow, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _x(text: str) -> str:
    # clean() too: XML holds C1 controls and bidi overrides, but a terminal showing the file
    # would act on them; and secrets are redacted.
    return _NOT_XML.sub("", clean(text))


def _details(q: QuoteResult) -> str:
    lines = [f"verdict: {q.verdict.value}", f"where: {where_label(q)}", f"quote: {q.quote.text}"]
    if q.match is not None and q.match.passage:
        lines.append(f"source: {q.match.passage}")
    if q.match is not None and q.match.diff:
        diff = " ".join(
            d.source
            if d.op == "equal"
            else (f"[-{d.source}-]" if d.source else "") + (f"{{+{d.quote}+}}" if d.quote else "")
            for d in q.match.diff
        )
        lines.append(f"diff: {diff}")
    if q.match is not None and q.match.reason:
        lines.append(f"why: {q.match.reason}")
    return _x("\n".join(lines))


def _case(suite: ET.Element, q: QuoteResult, report: Report, fail_on: frozenset[str]) -> bool:
    file, line, _ = location(q, report)
    case = ET.SubElement(
        suite,
        "testcase",
        classname=_x(q.source_id or "unattributed"),
        name=_x(one_line(q.quote.text, 100)),
        file=_x(file),
        line=str(line or 0),
    )
    if q.verdict.value in fail_on:
        failure = ET.SubElement(
            case,
            "failure",
            type=q.verdict.value,
            message=_x(f"{q.verdict.value}: {where_label(q)}"),
        )
        failure.text = _details(q)
        return True
    if q.verdict is not Verdict.VERIFIED:
        ET.SubElement(case, "system-out").text = "warning: " + _details(q)
    return False


def _source_case(
    suite: ET.Element, r: SourceResult, report: Report, fail_on: frozenset[str]
) -> bool:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=_x(r.source.id),
        name="source readable",
        file=_x(str(report.sources_path)),
        line=str(r.source.line or 0),
    )
    failing = r.status.value in fail_on or ("unavailable" in fail_on and not r.readable)
    if failing:
        ET.SubElement(case, "failure", type=r.status.value, message=_x(source_state(r)))
    elif r.status.value != "ok":
        ET.SubElement(case, "system-out").text = _x("warning: " + source_state(r))
    return failing


def _suites(
    root: ET.Element, report: Report, fail_on: frozenset[str], prefix: str = ""
) -> tuple[int, int]:
    """Add a test suite per source of ``report`` to ``root``, each named ``prefix`` and its id;
    return the tests and failures added."""
    failures = tests = 0
    for r in report.results:
        suite = ET.SubElement(root, "testsuite", name=_x(prefix + r.source.id))
        n = sum(_case(suite, q, report, fail_on) for q in r.quotes)
        cases = len(r.quotes)
        # A source's own case: when it has no quotes to fail for it, or its status is named.
        if (not r.quotes and not r.readable) or r.status.value in fail_on:
            n += _source_case(suite, r, report, fail_on)
            cases += 1
        suite.set("tests", str(cases))
        suite.set("failures", str(n))
        tests, failures = tests + cases, failures + n
    if report.unattributed:
        suite = ET.SubElement(root, "testsuite", name=_x(prefix + "unattributed"))
        n = sum(_case(suite, q, report, fail_on) for q in report.unattributed)
        suite.set("tests", str(len(report.unattributed)))
        suite.set("failures", str(n))
        tests, failures = tests + len(report.unattributed), failures + n
    return tests, failures


def _document(root: ET.Element, tests: int, failures: int, every: Report) -> str:
    root.set("tests", str(tests))
    root.set("failures", str(failures))
    root.set("time", f"{(every.finished - every.started).total_seconds():.3f}")
    if note := partial_note(every):
        root.insert(0, ET.Comment(f" {note} "))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render_junit(report: Report, fail_on: frozenset[str]) -> str:
    """The report as a JUnit XML document."""
    root = ET.Element("testsuites", name="sourcecheck")
    return _document(root, *_suites(root, report, fail_on), report)


def render_junit_many(reports: Sequence[Report], fail_on: frozenset[str]) -> str:
    """Several sources files' reports as one JUnit XML document: the test suites of every file
    in one ``<testsuites>``, each suite's name led by its file's path (ids repeat across
    files)."""
    root = ET.Element("testsuites", name="sourcecheck")
    tests = failures = 0
    for report in reports:
        added = _suites(root, report, fail_on, f"{report.sources_path}: ")
        tests, failures = tests + added[0], failures + added[1]
    return _document(root, tests, failures, total(reports))
