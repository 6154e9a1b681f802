"""Near misses between the tags typed in Lever and the tags that link: pure functions, no database."""

from __future__ import annotations

import pytest

from dashboard.lever.sync import tag_match, tags

TAG = "Alooba Assessment - Data Analyst Assessment"
ENGINEER = "Alooba Assessment - Data Engineer Assessment"
STAGE = "Alooba Assessment Stage - Hiring Manager Review"


@pytest.mark.parametrize("typed, what", [
    ("alooba assessment - data  analyst assessment", ["two spaces in a row", "letter case"]),
    ("Alooba Assessment – Data Analyst Assessment", ["an en dash (–) where the tag has a hyphen (-)"]),
    ("Alooba Assessment — Data Analyst Assessment", ["an em dash (—) where the tag has a hyphen (-)"]),
    ("Alooba Assessment\u00a0- Data Analyst Assessment", ["a non-breaking space where the tag has a space"]),
    ("Alooba Assessment - Data Analyst Assessment ", ["a space at the start or the end"]),
    ("Alooba Assessment Data Analyst Assessment", ["the dash is missing or in another place"]),
    ("Alooba - Data Analyst Assessment", ["the word “Assessment” is missing"]),
    ("Alooba Assessment - Data Analyst", ["the word “Assessment” is missing"]),
    ("Alooba Assessment - Data Analyst Assesment", ["“Assesment” where the tag has “Assessment”"]),
    ("Aloba Assessment - Data Analyst Assessment", ["“Aloba” where the tag has “Alooba”"]),
])
def test_near_misses_are_found_and_explained(typed, what):
    found = tag_match.near_miss(typed, [TAG, ENGINEER, STAGE])
    assert found is not None and found.intended == TAG
    assert tag_match.differences(typed, TAG) == what


@pytest.mark.parametrize("typed", [TAG, "Remote", "Full-time", "Data Analyst", "Alooba", ENGINEER,
                                   "Alooba Assessment - Marketing Assessment", "SQL"])
def test_exact_tags_and_unrelated_ones_are_no_near_miss(typed):
    assert tag_match.near_miss(typed, [TAG, ENGINEER]) is None


def test_the_closest_intended_tag_wins():
    found = tag_match.near_miss("Alooba Assessment - Data Engineer Assesment", [TAG, ENGINEER])
    assert found.intended == ENGINEER


def test_invisible_differences_are_marked_and_named():
    segments = tag_match.visible("alooba assessment – data  analyst\u00a0assessment ")
    marked = [(s.text, s.mark) for s in segments if s.mark]
    assert marked == [("–", "en dash (–)"), ("␣", "extra space"), ("␣", "extra space"),
                      ("␣", "non-breaking space"), ("␣", "extra space")]
    assert "".join(s.text for s in segments if not s.mark) == "alooba assessment  dataanalystassessment"
    assert [s.mark for s in tag_match.visible(TAG)] == [None]  # a correct tag has nothing to mark


def test_resolve_reports_a_near_miss_with_the_exact_tag_to_use():
    parsed = tags.parse_posting_tags("Alooba", ["alooba assessment - data  analyst assessment", "Remote"])
    res = tags.resolve(parsed, {"Data Analyst Assessment": 7}, [], {})
    assert not res.linked
    (problem,) = res.problems
    assert problem.kind == "near_miss" and problem.suggestion == TAG
    assert problem.name == "Data Analyst Assessment"
    assert "two spaces in a row" in problem.differences and "letter case" in problem.differences
    assert "nearly matches" in problem.message


def test_resolve_catches_tags_outside_the_grammar_too():
    for typed in ("Alooba - Data Analyst Assessment", "Aloba Assessment - Data Analyst Assessment",
                  "Alooba Assessment – Data Analyst Assessment"):
        res = tags.resolve(tags.parse_posting_tags("Alooba", [typed]), {"Data Analyst Assessment": 7}, [], {})
        assert [(p.kind, p.suggestion) for p in res.problems] == [("near_miss", TAG)], typed


def test_resolve_unpublished_unknown_stage_and_plain_malformed():
    parsed = tags.parse_posting_tags("Alooba", [
        "Alooba Assessment - Draft One", "Alooba Assessment Stage - Hiring Manager Reveiw",
        "alooba assessment: whatever"])
    res = tags.resolve(parsed, {"Data Analyst Assessment": 7}, ["Draft One"], {"Hiring Manager Review": "s1"})
    kinds = {p.kind: p for p in res.problems}
    assert kinds["unpublished"].name == "Draft One"
    assert kinds["unknown_stage"].suggestion == STAGE and res.blocked
    assert kinds["malformed"].suggestion is None


def test_a_linked_job_with_a_second_near_miss_stays_linked_and_says_so():
    parsed = tags.parse_posting_tags("Alooba", [TAG, "Alooba Assessment - data engineer assessment"])
    res = tags.resolve(parsed, {"Data Analyst Assessment": 7, "Data Engineer Assessment": 8}, [], {})
    assert res.assessment_ids == [7]
    assert [p.suggestion for p in res.problems] == [ENGINEER]


def test_the_brand_is_the_connection_setting():
    res = tags.resolve(tags.parse_posting_tags("Acme", ["acme assessment - data analyst assessment"]),
                       {"Data Analyst Assessment": 7}, [], {})
    assert res.problems[0].suggestion == "Acme Assessment - Data Analyst Assessment"
