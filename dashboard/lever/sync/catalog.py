"""Postings and stages of a connected Lever account: cached here, refreshed by the scheduler.

Rules read from this cache, so a burst of webhooks does not re-read the same posting or the
stage list; a posting unseen (or older than LEVER_POSTING_TTL seconds) is fetched once.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from dashboard.assessments.models import Assessment
from dashboard.core.clock import as_utc, utcnow
from dashboard.extensions import db
from dashboard.lever.api.errors import LeverForbiddenError, LeverNotFoundError
from dashboard.lever.connection import scopes
from dashboard.lever.sync import tags as tag_rules
from dashboard.lever.sync.models import LeverAccountCache, LeverPosting, LeverStage


def account_cache(connection) -> LeverAccountCache:
    """The per-connection cache row, created on first use."""
    cache = db.session.get(LeverAccountCache, connection.id)
    if cache is None:
        cache = LeverAccountCache(connection_id=connection.id, organisation_id=connection.organisation_id,
                                  template_fields={})
        db.session.add(cache)
        db.session.flush()
    return cache


def store_posting(connection, data: dict) -> LeverPosting:
    """Insert or update our copy of one Lever posting."""
    posting = db.session.scalar(select(LeverPosting).where(
        LeverPosting.connection_id == connection.id, LeverPosting.lever_id == data["id"]))
    if posting is None:
        posting = LeverPosting(organisation_id=connection.organisation_id, connection_id=connection.id,
                               lever_id=data["id"])
        db.session.add(posting)
    categories = data.get("categories") or {}
    posting.text = str(data.get("text") or "")[:500]
    posting.state = str(data.get("state") or "")[:32]
    posting.tags = [t for t in (data.get("tags") or []) if isinstance(t, str)]
    posting.team = (categories.get("team") or None) if isinstance(categories, dict) else None
    posting.location = (categories.get("location") or None) if isinstance(categories, dict) else None
    posting.refreshed_at = utcnow()
    return posting


def get_posting(connection, client, lever_id: str) -> LeverPosting | None:
    """The cached posting, fetched from Lever when unknown or stale; None if Lever has none."""

    posting = db.session.scalar(select(LeverPosting).where(
        LeverPosting.connection_id == connection.id, LeverPosting.lever_id == lever_id))
    ttl = timedelta(seconds=current_app.config.get("LEVER_POSTING_TTL", 300))
    if posting is not None and as_utc(posting.refreshed_at) > utcnow() - ttl:
        return posting
    try:
        data = client.get_posting(lever_id)
    except (LeverNotFoundError, LeverForbiddenError):  # gone, or confidential without the scope
        return posting
    return store_posting(connection, data)


def refresh_postings(connection, client) -> int:
    """Re-read every posting (all states; confidential ones too when the connection may see them);
    returns how many were stored."""
    count = 0
    for data in client.list_postings(confidentiality=scopes.listed_confidentiality(connection)):
        store_posting(connection, data)
        count += 1
    account_cache(connection).postings_refreshed_at = utcnow()
    return count


def refresh_stages(connection, client) -> dict[str, str]:
    """Re-read the stage list; returns name → id."""
    stages = client.list_stages()
    db.session.execute(delete(LeverStage).where(LeverStage.connection_id == connection.id))
    for stage in stages:
        db.session.add(LeverStage(organisation_id=connection.organisation_id, connection_id=connection.id,
                                  lever_id=str(stage["id"]), text=str(stage.get("text") or "")))
    account_cache(connection).stages_refreshed_at = utcnow()
    db.session.flush()
    return {str(s.get("text") or ""): str(s["id"]) for s in stages}


def stage_map(connection, client=None) -> dict[str, str]:
    """Stage name → Lever stage id, read once from Lever when the cache is empty."""
    rows = db.session.execute(select(LeverStage.text, LeverStage.lever_id).where(
        LeverStage.connection_id == connection.id)).all()
    if not rows and client is not None and account_cache(connection).stages_refreshed_at is None:
        return refresh_stages(connection, client)
    return {text: lever_id for text, lever_id in rows}


def stage_names(connection) -> dict[str, str]:
    """Lever stage id → name, from the cache."""
    return {lever_id: text for text, lever_id in stage_map(connection).items()}


def assessment_names(organisation_id: int) -> tuple[dict[str, int], list[str]]:
    """(published name → id, names of unpublished assessments) of one organisation."""
    rows = db.session.execute(select(Assessment.id, Assessment.name, Assessment.status).where(
        Assessment.organisation_id == organisation_id)).all()
    published = {name: aid for aid, name, status in rows if status == "published"}
    others = [name for _, name, status in rows if status != "published"]
    return published, others


def resolve_posting(connection, posting: LeverPosting, client=None) -> tag_rules.Resolution:
    """What this posting links to, for this connection's brand, assessments and stages."""
    parsed = tag_rules.parse_posting_tags(connection.tag_brand or "Alooba", posting.tags or [])
    published, others = assessment_names(connection.organisation_id)
    stages = stage_map(connection, client) if parsed.stage_names else {}
    return tag_rules.resolve(parsed, published, others, stages)
