"""The stage automation as the tests drive it: set on Linked jobs over HTTP, and the moves Lever recorded."""

from __future__ import annotations

from tests.support.lever import flash_text


def refresh_reasons(world) -> str:
    """Press "Refresh archive reasons" on Linked jobs; returns the last flashed message."""
    assert world.client.post("/lever/jobs/archive-reasons").status_code == 302
    return flash_text(world.client).split(" | ")[-1]


def reason_id(world, text: str) -> str:
    """The sandbox account's archive reason with this text."""
    return next(r["id"] for r in world.lever.state()["archive_reasons"] if r["text"] == text)


def set_automation(world, posting: str = "Data Analyst", *, complete: str = "", passed: str = "",
                   fail_action: str = "nothing", fail_stage: str = "", fail_reason: str = "") -> str:
    """Save a job's automation on Linked jobs as the logged-in user (stages by name, the reason by text);
    returns the last flashed message."""
    form = {"complete_stage": world.stages[complete] if complete else "",
            "pass_stage": world.stages[passed] if passed else "", "fail_action": fail_action,
            "fail_stage": world.stages[fail_stage] if fail_stage else "",
            "fail_reason": reason_id(world, fail_reason) if fail_reason else ""}
    resp = world.client.post(f"/lever/jobs/{world.postings[posting]}/automation", data=form)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return flash_text(world.client).split(" | ")[-1]


def our_moves(world, opp_id: str) -> list[str]:
    """The stages the opportunity was moved to through the API as the feedback author (the Super Admin):
    the moves the automation made, as Lever recorded them."""
    changes = world.opportunity(opp_id)["stageChanges"]
    return [c["toStageId"] for c in changes if c.get("userId") == world.lever.super_admin_id]


def archive_calls(world, opp_id: str) -> list[dict]:
    """The API calls that archived (or unarchived) the opportunity; a call Lever refused with 429 (pacing
    at Lever's limit lets a rare one through, and it is retried) did not archive anything."""
    return [c for c in world.sandbox.calls()
            if c["method"] == "PUT" and c["path"] == f"/v1/opportunities/{opp_id}/archived"
            and c.get("status") != 429]
