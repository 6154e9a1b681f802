"""Smoke tests: every benchmark runs at a tiny size, prints its tables and counts the right things.
Times are printed by the benchmarks, never asserted here."""

from __future__ import annotations

import pytest

from bench import b1_webhooks, b2_calls, b3_burst, b6_memory, b7_lag, b8_backfill, b9_backlog
from bench.__main__ import scripts
from bench.common import percentile, print_table, spread
from bench.loadgen import bodies

# Uses a PostgreSQL database of its own whatever TEST_DATABASE_URL says: run once, in the first pass.
pytestmark = pytest.mark.own_postgres


def test_helpers_compute_spread_and_percentiles(capsys):
    assert percentile([5, 1, 3, 2, 4], 50) == 3
    assert percentile(list(range(1, 101)), 99) == 99
    assert spread([3.0, 1.0, 2.0]) == "2.0 (1.0–3.0)"
    print_table("T", ("a", "bb"), [(1, "x"), ("long", 2)])
    assert "== T" in capsys.readouterr().out


def test_every_numbered_script_is_found_in_order():
    names = [short for short, _ in scripts()]
    assert names[:3] == ["b1", "b2", "b3"] and "b6" in names
    assert names == sorted(names, key=lambda s: int(s[1:]))


def test_load_bodies_repeat_about_a_fifth_and_are_signed():
    import json

    from dashboard.lever.sync.webhooks import signature_for

    payloads = [json.loads(b) for b in bodies("key", ["opp-1"], 500)]
    distinct = {p["token"] for p in payloads}
    assert 0.1 < 1 - len(distinct) / len(payloads) < 0.3
    assert all(p["signature"] == signature_for("key", p["token"], p["triggeredAt"]) for p in payloads)


def test_b2_counts_calls_per_step_within_the_minimum(capsys):
    figures = b2_calls.main(["--size", "1"])
    out = capsys.readouterr().out
    assert "B2: Lever calls per step" in out and "B2: summary" in out
    assert set(figures["steps"]) == set(b2_calls.MINIMUM)
    assert figures["account_reads"] == 0
    assert figures["made"] <= figures["minimum"]
    assert figures["full_lifecycle"] <= 9 and figures["invite_only"] <= 3
    assert figures["backfill_invited"] == 1 and figures["backfill_per_candidate"] <= 2


def test_b3_invites_and_writes_back_every_application(capsys):
    figures = b3_burst.main(["--size", "20"])
    assert "B3: 20 applications" in capsys.readouterr().out
    assert figures["invitations"] == figures["emails"] == figures["written_back"] == 20
    assert figures["lost"] == 0
    assert figures["calls"] >= 3 * 20


def test_b1_stores_each_distinct_delivery_once_without_errors(capsys):
    figures = b1_webhooks.main(["--size", "60", "--repeat", "1", "--rate", "50", "--seconds", "1"])
    out = capsys.readouterr().out
    assert "B1: webhook throughput" in out and "B1: summary" in out
    assert figures["errors"] == 0
    assert figures["inbox_rows"] == figures["distinct_tokens"] > 0
    assert len(figures["rss_peaks_kb"]) == 2


def test_b6_reports_the_peak_memory_of_each_web_worker(capsys):
    figures = b6_memory.main(["--size", "30", "--b4-candidates", "200"])
    out = capsys.readouterr().out
    assert "B6: peak resident memory" in out
    assert len(figures["b1_worker_peaks_mb"]) == 2 and all(mb > 10 for mb in figures["b1_worker_peaks_mb"])


def test_b9_invites_the_new_applicant_and_folds_the_backlog(capsys):
    figures = b9_backlog.main(["--changes", "40", "--opportunities", "4"])
    assert "B9: 40 queued stage changes" in capsys.readouterr().out
    assert figures["lag"] is not None and figures["left"] == 0
    assert figures["reads"] < 40  # folded: far fewer reads than deliveries


def test_b7_measures_every_lag(capsys):
    figures = b7_lag.main(["--candidates", "2", "--burst", "10"])
    assert "B7: lag at idle" in capsys.readouterr().out
    assert len(figures["invite"]) == len(figures["scored"]) == len(figures["final"]) == 2
    assert all(lag < float("inf") for lag in figures["invite"] + figures["scored"] + figures["final"])
    assert figures["burst_lag"] is not None


def test_b8_invites_every_earlier_applicant_with_two_calls_each(capsys):
    figures = b8_backfill.main(["--applicants", "12"])
    assert "B8: 12 applicants already in Lever" in capsys.readouterr().out
    assert figures["waiting"] == 12 and figures["invited"] == figures["delivered"] == 12
    assert figures["lost"] == 0 and figures["pages"] >= 1
    writes = [k for k in figures["kinds"] if k.startswith("POST opportunities/:id/")]
    assert sum(figures["kinds"][k] for k in writes) >= 24  # a link and a status tag each (429s repeat one)
