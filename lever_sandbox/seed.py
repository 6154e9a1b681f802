"""Seeding accounts with clients, users, stages, postings and webhook groups (and the demo set).

A posting is `{text, tags?, state?, confidentiality?: "confidential" | "non-confidential"}`.
"""

from __future__ import annotations

from . import domain
from .settings import EVENT_GROUPS, set_groups
from .store import Store
from .util import bad_request

TAG = "Alooba Assessment - Data Analyst Assessment"
DEMO = {
    "account": {"name": "Acme Analytics"},
    "clients": [{"client_id": "dashboard-local", "client_secret": "dashboard-local-secret",
                 "redirect_uris": ["http://127.0.0.1:5000/settings/integrations/lever/callback"]}],
    "users": [{"name": "Sam Super", "email": "sam@acme.example", "accessRole": "super admin"},
              {"name": "Riley Recruiter", "email": "riley@acme.example", "accessRole": "interviewer"}],
    "stages": [{"text": "Phone Screen"}, {"text": "Hiring Manager Review"}, {"text": "On-site"}],
    "postings": [{"text": "Data Analyst", "tags": [TAG]},
                 {"text": "Senior Data Analyst",
                  "tags": [TAG, "Alooba Assessment Stage - Hiring Manager Review"]},
                 {"text": "Data Engineer", "tags": []}],
    "webhook_groups": {g: True for g in EVENT_GROUPS},
}
# Added to the demo account by `--demo` (not by `{"demo": true}`, which tests rely on as it is).
DEMO_CONFIDENTIAL = {"text": "Analytics Lead", "tags": [TAG], "confidentiality": "confidential"}


def _list(body: dict, key: str) -> list[dict]:
    items = body.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise bad_request(f"{key} must be a list of objects")
    return items


def seed(store: Store, body: dict) -> dict:
    """Create what the body describes (or the demo set with `demo: true`) in one transaction."""
    if not isinstance(body, dict):
        raise bad_request("body must be a JSON object")
    if body.get("demo"):
        body = {**DEMO, **{k: v for k, v in body.items() if k != "demo"}}
    with store.transaction():
        return _seed(store, body)


def _seed(store: Store, body: dict) -> dict:
    out: dict = {}
    account_spec = body.get("account")
    if account_spec is not None:
        if not isinstance(account_spec, dict):
            raise bad_request("account must be an object")
        account = domain.create_account(store, account_spec.get("name"), account_spec.get("id"))
    elif body.get("account_id"):
        account = domain.default_account(store, body["account_id"])
    else:
        account = None
    out["account"] = account
    out["clients"] = [domain.register_client(store, c.get("client_id"), c.get("client_secret"),
                                             c.get("redirect_uris")) for c in _list(body, "clients")]
    needs_account = [k for k in ("users", "stages", "postings", "webhook_groups") if body.get(k)]
    if needs_account and account is None:
        account = domain.default_account(store)
        out["account"] = account
    aid = account["id"] if account else None
    out["users"] = [domain.create_user(store, aid, u.get("name"), u.get("email"), u.get("accessRole"))
                    for u in _list(body, "users")]
    out["stages"] = [domain.add_stage(store, aid, s.get("text")) for s in _list(body, "stages")]
    out["postings"] = [domain.create_posting(store, aid, p.get("text"), p.get("tags", []), p.get("state", "published"),
                                             confidentiality=p.get("confidentiality", "non-confidential"))
                       for p in _list(body, "postings")]
    groups = body.get("webhook_groups")
    if groups:
        if not isinstance(groups, dict):
            raise bad_request("webhook_groups must be an object")
        out["webhook_groups"] = set_groups(store, aid, groups)
    return out
