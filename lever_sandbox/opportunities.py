"""Opportunities (candidates in a pipeline) and the recruiter actions that fire webhook events."""

from __future__ import annotations

from .domain import (
    Fire,
    _dedupe,
    _string_list,
    _text,
    archive_reason,
    get_posting,
    hired_reason,
    owner_of,
    stages,
)
from .store import Store
from .util import bad_request, new_id, not_found, now_ms


def get_opportunity(store: Store, account_id: str, opp_id: str) -> dict:
    """One opportunity of the account, or 404."""
    opp = store.get("opportunities", opp_id)
    if not opp or owner_of(store, "opportunities", opp_id) != account_id:
        raise not_found("opportunity")
    return opp


def _event_data(opp: dict, **extra) -> dict:
    return {"opportunityId": opp["id"], "candidateId": opp["id"], "contactId": opp["contact"], **extra}


def build_application(store: Store, account_id: str, posting_id: str, name: str, email: str,
                      stage_id: str | None = None) -> dict:
    """A new opportunity document for an applicant to a posting (validated, not stored).

    An opportunity on a confidential posting is confidential.
    """
    posting = get_posting(store, account_id, posting_id)
    name = _text(name, "name", 200)
    # Lever keeps what the applicant typed (markup, spaces, no domain, nothing at all): so does the sandbox.
    if not isinstance(email, str) or len(email) > 500:
        raise bad_request("email must be a string of at most 500 characters")
    emails = [email.lower()] if email.strip() else []
    stage_id = stage_id or "applicant-new"
    if stage_id not in {s["id"] for s in stages(store, account_id)}:
        raise bad_request(f"unknown stage {stage_id}")
    now = now_ms()
    opp_id = new_id()
    return {
        "id": opp_id, "name": name, "contact": new_id(), "headline": "", "emails": emails,
        "phones": [], "stage": stage_id, "tags": list(posting["tags"]), "links": [], "sources": ["Applied"],
        "origin": "applied", "owner": None, "followers": [],
        "applications": [{"id": new_id(), "type": "posting", "posting": posting_id, "opportunityId": opp_id,
                          "candidateId": opp_id, "createdAt": now, "name": name, "email": email.lower()}],
        "archived": None, "confidentiality": posting.get("confidentiality", "non-confidential"),
        "createdAt": now, "updatedAt": now,
        "lastAdvancedAt": now, "lastInteractionAt": now,
        "stageChanges": [{"toStageId": stage_id, "toStageIndex": 0, "updatedAt": now, "userId": None}],
    }


def add_applications(store: Store, fire: Fire, account_id: str, items: list[dict]) -> list[dict]:
    """Create applicants (all validated first, stored in one transaction); fires applicationCreated."""
    opps = [build_application(store, account_id, i.get("posting_id"), i.get("name"), i.get("email"),
                              i.get("stage_id")) for i in items]
    store.put_many("opportunities", opps, account_id)
    for opp in opps:
        fire(account_id, "applicationCreated", _event_data(opp))
    return opps


def _save(store: Store, account_id: str, opp: dict) -> dict:
    opp["updatedAt"] = max(now_ms(), opp["updatedAt"] + 1)
    return store.put("opportunities", opp, account_id)


def change_tags(store: Store, account_id: str, opp_id: str, tags, add: bool) -> dict:
    """Add or remove tags with set semantics; returns the whole opportunity."""
    tags = _string_list(tags, "tags")
    with store.lock:
        opp = get_opportunity(store, account_id, opp_id)
        opp["tags"] = _dedupe(opp["tags"] + tags) if add else [t for t in opp["tags"] if t not in set(tags)]
        return _save(store, account_id, opp)


def change_links(store: Store, account_id: str, opp_id: str, links, add: bool) -> dict:
    """Add or remove links with set semantics; returns the whole opportunity."""
    links = _string_list(links, "links")
    with store.lock:
        opp = get_opportunity(store, account_id, opp_id)
        if add:
            opp["links"] = _dedupe(opp["links"] + links)
        else:
            opp["links"] = [x for x in opp["links"] if x not in set(links)]
        return _save(store, account_id, opp)


def move_stage(store: Store, fire: Fire, account_id: str, opp_id: str, stage_id: str,
               user_id: str | None = None) -> dict:
    """Move an opportunity to another stage (recorded in stageChanges); fires candidateStageChange.

    Every way in (recruiter UI, admin API, `PUT .../stage`) goes through here, so they all look alike.
    """
    with store.lock:
        opp = get_opportunity(store, account_id, opp_id)
        known = [s["id"] for s in stages(store, account_id)]
        if stage_id not in known:
            raise bad_request(f"unknown stage {stage_id}")
        from_stage = opp["stage"]
        if from_stage == stage_id:
            return opp
        now = now_ms()
        opp["stage"] = stage_id
        opp["lastAdvancedAt"] = now
        opp["stageChanges"].append({"toStageId": stage_id, "toStageIndex": known.index(stage_id),
                                    "updatedAt": now, "userId": user_id})
        _save(store, account_id, opp)
    fire(account_id, "candidateStageChange", _event_data(opp, fromStageId=from_stage, toStageId=stage_id))
    return opp


def set_archived(store: Store, fire: Fire, account_id: str, opp_id: str, reason_id: str | None) -> dict:
    """Archive with an archive reason id, or unarchive (None); fires candidateArchiveChange.

    A reason of type "hired" is a hire: candidateHired fires first.
    """
    with store.lock:
        opp = get_opportunity(store, account_id, opp_id)
        reason = archive_reason(store, account_id, reason_id) if reason_id is not None else None
        before = opp["archived"]
        opp["archived"] = {"reason": reason["id"], "archivedAt": now_ms()} if reason else None
        _save(store, account_id, opp)
    to_archived = dict(opp["archived"]) if reason else None
    from_archived = {"reason": before["reason"], "archivedAt": before["archivedAt"]} if before else None
    if reason and reason["type"] == "hired":
        fire(account_id, "candidateHired", _event_data(opp))
    fire(account_id, "candidateArchiveChange",
         _event_data(opp, toArchived=to_archived, fromArchived=from_archived))
    return opp


def hire(store: Store, fire: Fire, account_id: str, opp_id: str) -> dict:
    """Mark hired (archived with the account's hired reason); fires candidateHired and candidateArchiveChange."""
    return set_archived(store, fire, account_id, opp_id, hired_reason(store, account_id)["id"])


def delete(store: Store, fire: Fire, account_id: str, opp_id: str) -> None:
    """Delete an opportunity; fires candidateDeleted."""
    with store.lock:
        opp = get_opportunity(store, account_id, opp_id)
        store.delete("opportunities", opp_id)
    fire(account_id, "candidateDeleted", _event_data(opp))
