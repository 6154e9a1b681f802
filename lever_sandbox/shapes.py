"""How the Data API shows objects: postings, opportunities and the single-object envelope.

Lever's documentation and recorded traffic disagree on a few shapes; the configuration
(`answer_shapes`, `archived_shape`, `omit_urls_in_lists`) picks which one the sandbox answers with.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import jsonify, request

from . import domain
from .settings import get_config
from .store import Store
from .util import sandbox

ENVELOPES = ("once", "twice", "bare")


def shape_posting(posting: dict) -> dict:
    """A posting with its urls."""
    root = request.url_root
    return {**posting, "urls": {"list": f"{root}jobs", "show": f"{root}jobs/{posting['id']}",
                                "apply": f"{root}jobs/{posting['id']}/apply"}}


def shape_opportunity(opp: dict, expand: set[str], stage_names: dict[str, str], *,
                      archived_shape: str = "object", with_urls: bool = True) -> dict:
    """The API shape of an opportunity, with expansions and the configured archived shape."""
    out = {k: v for k, v in opp.items() if k != "applications"}
    out["applications"] = ([dict(a) for a in opp["applications"]] if "applications" in expand
                           else [a["id"] for a in opp["applications"]])
    if "stage" in expand:
        out["stage"] = {"id": opp["stage"], "text": stage_names.get(opp["stage"], opp["stage"])}
    if "contact" in expand:
        out["contact"] = {"id": opp["contact"], "name": opp["name"], "headline": opp.get("headline", ""),
                          "emails": opp["emails"], "phones": opp.get("phones", []), "location": None}
    if archived_shape == "top_level":
        archived = out.pop("archived")
        out["archivedAt"] = archived["archivedAt"] if archived else None
        out["archiveReason"] = archived["reason"] if archived else None
    if with_urls:
        root = request.url_root
        out["urls"] = {"list": f"{root}candidates", "show": f"{root}candidates/{opp['id']}"}
    return out


def opportunity_shaper(store: Store, account_id: str, expand: set[str],
                       in_list: bool = False) -> Callable[[dict], dict]:
    """A function showing the account's opportunities as the configuration says (lists may omit urls)."""
    config = get_config(store)
    names = {s["id"]: s["text"] for s in domain.stages(store, account_id)}
    with_urls = not (in_list and config["omit_urls_in_lists"])
    return lambda opp: shape_opportunity(opp, expand, names, archived_shape=config["archived_shape"],
                                         with_urls=with_urls)


def one(obj, status: int = 200, documented: str = "once"):
    """The single-object envelope `{"data": obj}`.

    `documented` is how Lever's documentation shows this answer ("once", "twice" or "bare"); it is
    used only when the configuration's `answer_shapes` is "documented".
    """
    if documented not in ENVELOPES:
        raise ValueError(f"unknown envelope {documented!r}")
    form = documented if get_config(sandbox().store)["answer_shapes"] == "documented" else "once"
    body = {"once": {"data": obj}, "twice": {"data": {"data": obj}}, "bare": obj}[form]
    resp = jsonify(body)
    resp.status_code = status
    return resp
