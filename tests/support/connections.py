"""Build a connected Lever connection without the consent dance (for tests that are about
something else): tokens minted by the sandbox, webhooks with signature tokens we know; and whole
organisations connected that way to accounts of their own."""

from __future__ import annotations

import secrets
from datetime import timedelta

from dashboard.core.clock import utcnow
from dashboard.extensions import db
from dashboard.lever.api.oauth import DEFAULT_SCOPES
from dashboard.lever.connection.crypto import encrypt
from dashboard.lever.connection.models import LeverConnection, LeverWebhook
from dashboard.lever.sync.webhooks import EVENTS, signature_for
from tests.support.platform import analyst_assessment
from tests.support.sandbox import WEBHOOKS_OFF

SCOPES = list(DEFAULT_SCOPES)


def direct_connection(organisation_id: int, *, sandbox=None, account_id: str | None = None,
                      user_id: str | None = None, signature_token: str | None = None) -> LeverConnection:
    """A 'connected' LeverConnection (tokens from the sandbox when given) with one webhook per event
    signed by `signature_token` (random when not given)."""
    access, refresh, lever_account = "unused", "unused", account_id or f"acct-{organisation_id}"
    if sandbox is not None:
        minted = sandbox.mint_token(client_id="dashboard-local", account_id=account_id, user_id=user_id,
                                    scopes=SCOPES)
        access, refresh = minted["access_token"], minted["refresh_token"]
    connection = LeverConnection(organisation_id=organisation_id, status="connected",
                                 lever_account_id=lever_account, lever_env="local", scopes=" ".join(SCOPES),
                                 access_token_enc=encrypt(access), refresh_token_enc=encrypt(refresh),
                                 expires_at=utcnow() + timedelta(hours=1), connected_at=utcnow())
    db.session.add(connection)
    db.session.flush()
    token = signature_token or secrets.token_hex(24)
    for event in EVENTS:
        db.session.add(LeverWebhook(connection_id=connection.id, event=event, url="http://x/", source="pasted",
                                    signature_token_enc=encrypt(token)))
    db.session.commit()
    connection.test_signature_token = token
    return connection


def signed(token: str, *, event: str = "applicationCreated", data: dict | None = None,
           delivery_token: str | None = None, triggered_at: int | None = None) -> dict:
    """A delivery body signed with `token` exactly as Lever signs."""
    delivery_token = delivery_token or secrets.token_hex(24)
    triggered_at = triggered_at if triggered_at is not None else int(utcnow().timestamp() * 1000)
    return {"triggeredAt": triggered_at, "event": event, "data": data if data is not None else {},
            "token": delivery_token, "signature": signature_for(token, delivery_token, triggered_at)}


def connected_org(sandbox, make_org, index: int):
    """Organisation "Org <index>" with an analyst assessment, directly connected to a demo account of
    its own ("Account <index>", webhooks off: the test delivers them) as that account's super admin,
    signing with "signature-token-<index>". Only account 0 keeps the sandbox's OAuth client.

    Returns (organisation, connection, Lever account id, posting ids by title, stage ids by name).
    """
    body = {"demo": True, "account": {"name": f"Account {index}"}, "webhook_groups": WEBHOOKS_OFF}
    if index != 0:
        body["clients"] = []
    seeded = sandbox.seed(**body)
    org = make_org(f"Org {index}")
    analyst_assessment(org.id)
    super_admin = next(u["id"] for u in seeded["users"] if u["accessRole"] == "super admin")
    connection = direct_connection(org.id, sandbox=sandbox, account_id=seeded["account"]["id"],
                                   user_id=super_admin, signature_token=f"signature-token-{index}")
    postings = {p["text"]: p["id"] for p in seeded["postings"]}
    stages = {s["text"]: s["id"] for s in seeded["stages"]}
    return org, connection, seeded["account"]["id"], postings, stages
