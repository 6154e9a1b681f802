"""The sandbox's Lever objects: accounts, clients, users, stages, postings, opportunities.

Operations take explicit arguments and fire webhook events through `fire(account_id, event, data)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .store import Store
from .util import bad_request, new_id, not_found, now_ms

Fire = Callable[[str, str, dict], None]

BUILTIN_STAGES = [
    ("lead-new", "New lead"), ("lead-reached-out", "Reached out"), ("lead-responded", "Responded"),
    ("applicant-new", "New applicant"), ("offer", "Offer"),
]
ACCESS_ROLES = ("super admin", "admin", "team member", "limited team member", "interviewer")
CONFIDENTIALITY = ("confidential", "non-confidential")
POSTING_STATES = ("published", "internal", "closed", "draft", "pending", "rejected")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# (text, type, status) of the archive reasons every account starts with.
DEFAULT_ARCHIVE_REASONS = [
    ("Underqualified", "non-hired", "active"), ("Withdrew", "non-hired", "active"),
    ("Position filled", "non-hired", "active"), ("Unresponsive", "non-hired", "inactive"),
    ("Hired", "hired", "active"),
]
ARCHIVE_REASON_TYPES = ("hired", "non-hired")


def _text(value, what: str, limit: int = 500) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise bad_request(f"{what} must be a non-empty string of at most {limit} characters")
    return value.strip()


def _string_list(value, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise bad_request(f"{what} must be a list of non-empty strings")
    return list(value)


# -- accounts, clients, users, stages -------------------------------------------------------------

def create_account(store: Store, name: str, account_id: str | None = None) -> dict:
    """A new Lever account with the built-in stages."""
    if account_id is not None and (not isinstance(account_id, str) or not account_id.strip()):
        raise bad_request("account id must be a non-empty string")
    account = {"id": account_id or new_id(), "name": _text(name, "account name"), "createdAt": now_ms()}
    if store.get("accounts", account["id"]):
        raise bad_request(f"account {account['id']} already exists")
    store.put("accounts", account, account["id"])
    store.put("stages", {"id": account["id"], "stages": [{"id": i, "text": t} for i, t in BUILTIN_STAGES]},
              account["id"])
    return account


def default_account(store: Store, account_id: str | None = None) -> dict:
    """The named account, or the first one when no id is given."""
    if account_id:
        account = store.get("accounts", account_id)
        if not account:
            raise not_found("account")
        return account
    accounts = store.list("accounts")
    if not accounts:
        raise bad_request("no account exists yet: seed one first")
    return accounts[0]


def register_client(store: Store, client_id: str, client_secret: str, redirect_uris: list[str]) -> dict:
    """Register (or replace) an OAuth client with its exact redirect URIs."""
    uris = _string_list(redirect_uris, "redirect_uris")
    if not all(u.startswith(("http://", "https://")) for u in uris):
        raise bad_request("redirect_uris must be http(s) URLs")
    client = {"id": _text(client_id, "client_id", 200),
              "client_secret": _text(client_secret, "client_secret"), "redirect_uris": uris}
    store.put("clients", client)
    return client


def acting_user(store: Store, account_id: str, user_id: str | None) -> str:
    """Check a `perform_as` user id: an active user of the account."""
    if not user_id:
        raise bad_request("perform_as is required")
    user = store.get("users", user_id)
    if not user or owner_of(store, "users", user_id) != account_id or user.get("deactivatedAt"):
        raise bad_request("perform_as must be an active user of this account")
    return user_id


def create_user(store: Store, account_id: str, name: str, email: str, access_role: str) -> dict:
    """A Lever user of an account."""
    if access_role not in ACCESS_ROLES:
        raise bad_request(f"accessRole must be one of {', '.join(ACCESS_ROLES)}")
    if not isinstance(email, str) or not EMAIL_RE.match(email):
        raise bad_request("user email is not valid")
    user = {"id": new_id(), "name": _text(name, "user name"), "email": email.lower(),
            "accessRole": access_role, "deactivatedAt": None, "createdAt": now_ms()}
    return store.put("users", user, account_id)


def stages(store: Store, account_id: str) -> list[dict]:
    """The account's pipeline stages in order."""
    doc = store.get("stages", account_id)
    return doc["stages"] if doc else []


def add_stage(store: Store, account_id: str, text: str) -> dict:
    """Append a custom stage to an account's pipeline."""
    with store.lock:
        doc = store.get("stages", account_id) or {"id": account_id, "stages": []}
        stage = {"id": new_id(), "text": _text(text, "stage text")}
        doc["stages"].append(stage)
        store.put("stages", doc, account_id)
    return stage


# -- archive reasons ------------------------------------------------------------------------------

def archive_reasons(store: Store, account_id: str) -> list[dict]:
    """The account's archive reasons `{id, text, status, type}` (the default set is made on first use)."""
    with store.lock:
        doc = store.get("archive_reasons", account_id)
        if not doc:
            reasons = [{"id": new_id(), "text": text, "status": status, "type": kind}
                       for text, kind, status in DEFAULT_ARCHIVE_REASONS]
            doc = store.put("archive_reasons", {"id": account_id, "reasons": reasons}, account_id)
    return doc["reasons"]


def archive_reason(store: Store, account_id: str, value: str, by_text: bool = False) -> dict:
    """One archive reason by id (or, for the UI and admin API, by its text); a 400 when unknown."""
    for reason in archive_reasons(store, account_id):
        if reason["id"] == value or (by_text and isinstance(value, str)
                                     and reason["text"].lower() == value.strip().lower()):
            return reason
    raise bad_request(f"unknown archive reason {value}")


def hired_reason(store: Store, account_id: str) -> dict:
    """The account's archive reason for hires."""
    return next(r for r in archive_reasons(store, account_id) if r["type"] == "hired")


# -- postings -------------------------------------------------------------------------------------

def create_posting(store: Store, account_id: str, text: str, tags=(), state: str = "published",
                   team: str = "Analytics", confidentiality: str = "non-confidential") -> dict:
    """A job posting (confidential or not)."""
    if state not in POSTING_STATES:
        raise bad_request(f"state must be one of {', '.join(POSTING_STATES)}")
    if confidentiality not in CONFIDENTIALITY:
        raise bad_request(f"confidentiality must be one of {', '.join(CONFIDENTIALITY)}")
    now = now_ms()
    posting = {"id": new_id(), "text": _text(text, "posting text"), "state": state,
               "tags": _dedupe(_string_list(list(tags), "tags")), "confidentiality": confidentiality,
               "categories": {"team": team, "department": team, "location": "Remote",
                              "commitment": "Full-time"},
               "owner": None, "hiringManager": None, "createdAt": now, "updatedAt": now}
    return store.put("postings", posting, account_id)


def get_posting(store: Store, account_id: str, posting_id: str) -> dict:
    """One posting of the account, or 404."""
    posting = store.get("postings", posting_id)
    if not posting or owner_of(store, "postings", posting_id) != account_id:
        raise not_found("posting")
    return posting


def set_posting_tags(store: Store, account_id: str, posting_id: str, tags: list[str]) -> dict:
    """Replace a posting's tags."""
    with store.lock:
        posting = get_posting(store, account_id, posting_id)
        posting["tags"] = _dedupe(_string_list(tags, "tags"))
        posting["updatedAt"] = now_ms()
        return store.put("postings", posting, account_id)


def owner_of(store: Store, kind: str, doc_id: str) -> str | None:
    """The account that owns a document."""
    return store.owner(kind, doc_id)


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
