"""The posting-tag grammar and its resolution."""

from dashboard.lever.sync import tags


def test_parse_stage_before_assessment():
    parsed = tags.parse_posting_tags("Alooba", [
        "Alooba Assessment Stage - Hiring Manager Review",
        "Alooba Assessment - Data Analyst Assessment",
        "Remote",
    ])
    assert parsed.stage_names == ["Hiring Manager Review"]
    assert parsed.assessment_names == ["Data Analyst Assessment"]
    assert parsed.malformed == []


def test_outer_whitespace_trimmed_inner_kept():
    parsed = tags.parse_posting_tags("Alooba", ["Alooba Assessment -   Data  Analyst  "])
    assert parsed.assessment_names == ["Data  Analyst"]


def test_malformed_reported():
    parsed = tags.parse_posting_tags("Alooba", ["alooba assessment - x", "Alooba Assessment - ", "Other"])
    assert parsed.assessment_names == []
    assert len(parsed.malformed) == 2


def test_brand_is_a_setting():
    parsed = tags.parse_posting_tags("Acme", ["Acme Assessment - SQL", "Alooba Assessment - SQL"])
    assert parsed.assessment_names == ["SQL"]


def test_resolve_exact_and_near_misses():
    parsed = tags.parse_posting_tags("Alooba", [
        "Alooba Assessment - Data Analyst Assessment",
        "Alooba Assessment - data analyst  assessment",
        "Alooba Assessment - Draft One",
        "Alooba Assessment Stage - Onsite",
    ])
    res = tags.resolve(parsed, {"Data Analyst Assessment": 7}, ["Draft One"], {"On-site": "s1"})
    assert res.assessment_ids == [7]
    assert res.linked and res.waits_for_stage and res.blocked
    text = " ".join(res.warnings)
    assert "did you mean “Data Analyst Assessment”" in text
    assert "not published" in text
    assert "Did you mean “On-site”" in text


def test_several_assessments_and_stages():
    parsed = tags.parse_posting_tags("Alooba", [
        "Alooba Assessment - A", "Alooba Assessment - B",
        "Alooba Assessment Stage - S1", "Alooba Assessment Stage - S2",
    ])
    res = tags.resolve(parsed, {"A": 1, "B": 2}, [], {"S1": "x", "S2": "y"})
    assert res.assessment_ids == [1, 2]
    assert res.stage_ids == ["x", "y"] and not res.blocked


def test_inherited_and_status_tags():
    assert tags.inherited_tags("Alooba", ["Alooba Assessment - A", "Alooba Assessment Stage - S", "X"]) == [
        "Alooba Assessment - A", "Alooba Assessment Stage - S"]
    assert tags.all_status_tags("Alooba") == ["Alooba - Invited", "Alooba - In Progress", "Alooba - Completed",
                                            "Alooba - Expired"]
