import xml.etree.ElementTree as ET

from bench.outcome import EXIT_INCONCLUSIVE, Outcome
from bench.report.junit import CaseStatus, JUnitCase, junit_xml, write_junit


def test_worst_outcome_fail_outranks_inconclusive_and_nothing_is_inconclusive():
    assert Outcome.worst([Outcome.PASS, Outcome.INCONCLUSIVE, Outcome.FAIL]) is Outcome.FAIL
    assert Outcome.worst([Outcome.PASS, Outcome.INCONCLUSIVE]) is Outcome.INCONCLUSIVE
    assert Outcome.worst([Outcome.PASS, Outcome.PASS]) is Outcome.PASS
    assert Outcome.worst([]) is Outcome.INCONCLUSIVE
    assert Outcome.INCONCLUSIVE.exit_code == EXIT_INCONCLUSIVE
    assert [o.exit_code for o in (Outcome.PASS, Outcome.FAIL)] == [0, 1]


def test_junit_parses_back_with_counts_and_escaped_text(tmp_path):
    cases = [
        JUnitCase("m/cpu", "p64 ttft_ms", CaseStatus.PASSED, details="-0.3 %"),
        JUnitCase("m/cpu", "p64 decode", CaseStatus.FAILED, message="12 % slower", details="p=0.001"),
        JUnitCase("<script>alert(1)</script>", "p64 e2e", CaseStatus.SKIPPED, message="flagged: high CV"),
    ]
    path = write_junit(tmp_path / "report.xml", cases, suite="bench gate")
    root = ET.parse(path).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    failed, skipped = suite.findall("testcase")[1:]
    assert failed.find("failure").get("message") == "12 % slower"
    assert skipped.get("classname") == "<script>alert(1)</script>"
    assert skipped.find("skipped").get("message") == "flagged: high CV"
    assert "<script>" not in junit_xml(cases, suite="s")


def test_markdown_text_is_escaped_and_cells_stay_cells():
    from bench.report.markdown import md_cell, md_text

    assert md_text("<script>alert(1)</script>\nnext") == "&lt;script&gt;alert(1)&lt;/script&gt; next"
    assert md_cell("a|b") == "a\\|b"
