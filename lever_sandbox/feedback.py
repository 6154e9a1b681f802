"""Feedback templates, feedback forms and notes, validated as Lever validates them."""

from __future__ import annotations

from .domain import _text, acting_user, owner_of
from .opportunities import get_opportunity
from .store import Store
from .util import bad_request, new_id, not_found, now_ms

SCORE_OPTIONS = ["4 - Strong Hire", "3 - Hire", "2 - No Hire", "1 - Strong No Hire"]
FIELD_TYPES = ("text", "textarea", "score", "score-system", "yes-no", "date", "dropdown",
               "multiple-choice", "multiple-select", "currency", "number")
OPTION_TYPES = ("dropdown", "multiple-choice", "multiple-select")


def _fields(raw) -> list[dict]:
    """Validate template fields and give each a fresh id."""
    if not isinstance(raw, list) or not raw:
        raise bad_request("fields must be a non-empty list")
    fields = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request("each field must be an object")
        ftype = item.get("type")
        if ftype not in FIELD_TYPES:
            raise bad_request(f"field type must be one of {', '.join(FIELD_TYPES)}")
        field = {"id": new_id(), "type": ftype, "text": _text(item.get("text"), "field text"),
                 "description": item.get("description") or "", "required": bool(item.get("required", False))}
        if ftype == "score-system":
            field["options"] = [{"text": o} for o in SCORE_OPTIONS]
        elif ftype in OPTION_TYPES:
            options = item.get("options")
            if not isinstance(options, list) or not options or not all(
                    isinstance(o, dict) and isinstance(o.get("text"), str) and o["text"] for o in options):
                raise bad_request(f"a {ftype} field needs options [{{\"text\"}}]")
            field["options"] = [{"text": o["text"]} for o in options]
        fields.append(field)
    if sum(1 for f in fields if f["type"] == "score-system") != 1:
        raise bad_request("a feedback template needs exactly one score-system field")
    return fields


def _template_body(body) -> dict:
    if not isinstance(body, dict):
        raise bad_request("body must be a JSON object")
    return {"text": _text(body.get("text"), "text"), "instructions": body.get("instructions") or "",
            "group": body.get("group"), "fields": _fields(body.get("fields"))}


def create_template(store: Store, account_id: str, body) -> dict:
    """A new feedback template."""
    now = now_ms()
    template = {"id": new_id(), **_template_body(body), "createdAt": now, "updatedAt": now}
    return store.put("templates", template, account_id)


def get_template(store: Store, account_id: str, template_id: str) -> dict:
    """One template of the account (not deleted), or 404."""
    template = store.get("templates", template_id)
    if not template or template.get("deletedAt") or owner_of(store, "templates", template_id) != account_id:
        raise not_found("feedback template")
    return template


def list_templates(store: Store, account_id: str) -> list[dict]:
    """The account's live templates."""
    return [t for t in store.list("templates", account_id) if not t.get("deletedAt")]


def update_template(store: Store, account_id: str, template_id: str, body) -> dict:
    """Replace a template; every field gets a new id."""
    with store.lock:
        template = get_template(store, account_id, template_id)
        template.update(_template_body(body))
        template["updatedAt"] = now_ms()
        return store.put("templates", template, account_id)


def delete_template(store: Store, account_id: str, template_id: str) -> None:
    """Delete a template (existing feedback keeps its fields)."""
    with store.lock:
        template = get_template(store, account_id, template_id)
        template["deletedAt"] = now_ms()
        store.put("templates", template, account_id)


def _check_value(field: dict, value):
    ftype = field["type"]
    if value is None:
        return None
    ok = {
        "score-system": lambda v: v in SCORE_OPTIONS,
        "score": lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 4,
        "yes-no": lambda v: v in ("yes", "no"),
        "date": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "currency": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "multiple-select": lambda v: isinstance(v, list) and all(
            x in [o["text"] for o in field["options"]] for x in v),
    }.get(ftype)
    if ok is None and ftype in OPTION_TYPES:
        ok = lambda v: v in [o["text"] for o in field["options"]]  # noqa: E731
    if ok is None:
        ok = lambda v: isinstance(v, str) and len(v) <= 100000  # noqa: E731
    if not ok(value):
        raise bad_request(f"invalid value for {ftype} field {field['id']}")
    return value


def _values(fields: list[dict], field_values) -> dict:
    if not isinstance(field_values, list):
        raise bad_request("fieldValues must be a list of {id, value}")
    by_id = {f["id"]: f for f in fields}
    values = {}
    for item in field_values:
        if not isinstance(item, dict) or item.get("id") not in by_id:
            raise bad_request(f"unknown field id {item.get('id') if isinstance(item, dict) else item!r}")
        values[item["id"]] = _check_value(by_id[item["id"]], item.get("value"))
    return values


def _completed_at(body: dict, default: int) -> int:
    value = body.get("completedAt", default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise bad_request("completedAt must be milliseconds")
    return value


def create_feedback(store: Store, account_id: str, opp_id: str, body, perform_as: str | None) -> dict:
    """A completed feedback form on an opportunity from a template."""
    get_opportunity(store, account_id, opp_id)
    user_id = acting_user(store, account_id, perform_as)
    if not isinstance(body, dict):
        raise bad_request("body must be a JSON object")
    template = get_template(store, account_id, body.get("baseTemplateId") or "")
    values = _values(template["fields"], body.get("fieldValues", []))
    now = now_ms()
    fields = [{**f, "value": values.get(f["id"])} for f in template["fields"]]
    feedback = {"id": new_id(), "opportunityId": opp_id, "type": "interview", "text": template["text"],
                "instructions": template["instructions"], "baseTemplateId": template["id"], "fields": fields,
                "user": user_id, "panel": None, "interview": None, "createdAt": now, "updatedAt": now,
                "completedAt": _completed_at(body, now), "deletedAt": None}
    return store.put("feedback", feedback, account_id)


def get_feedback(store: Store, account_id: str, opp_id: str, feedback_id: str) -> dict:
    """One feedback form (deleted ones too), or 404."""
    feedback = store.get("feedback", feedback_id)
    if (not feedback or feedback["opportunityId"] != opp_id
            or owner_of(store, "feedback", feedback_id) != account_id):
        raise not_found("feedback")
    return feedback


def list_feedback(store: Store, account_id: str, opp_id: str) -> list[dict]:
    """All feedback forms of an opportunity."""
    get_opportunity(store, account_id, opp_id)
    return [f for f in store.list("feedback", account_id) if f["opportunityId"] == opp_id]


def update_feedback(store: Store, account_id: str, opp_id: str, feedback_id: str, body,
                    perform_as: str | None) -> dict:
    """Change a feedback form's values; answers in the storage-like shape."""
    user_id = acting_user(store, account_id, perform_as)
    if not isinstance(body, dict):
        raise bad_request("body must be a JSON object")
    with store.lock:
        feedback = get_feedback(store, account_id, opp_id, feedback_id)
        if feedback.get("deletedAt"):
            raise bad_request("feedback was deleted")
        values = _values(feedback["fields"], body.get("fieldValues", []))
        for field in feedback["fields"]:
            if field["id"] in values:
                field["value"] = values[field["id"]]
        feedback["completedAt"] = _completed_at(body, feedback["completedAt"])
        feedback["updatedAt"] = now_ms()
        store.put("feedback", feedback, account_id)
    return {"id": feedback["id"], "profileId": opp_id, "baseTemplateId": feedback["baseTemplateId"],
            "user": user_id,
            "fieldValues": [{"id": f["id"], "value": f["value"]} for f in feedback["fields"]],
            "completedAt": feedback["completedAt"], "updatedAt": feedback["updatedAt"]}


def delete_feedback(store: Store, account_id: str, opp_id: str, feedback_id: str) -> None:
    """Soft-delete a feedback form (still readable with deletedAt)."""
    with store.lock:
        feedback = get_feedback(store, account_id, opp_id, feedback_id)
        feedback["deletedAt"] = feedback.get("deletedAt") or now_ms()
        store.put("feedback", feedback, account_id)


def create_note(store: Store, account_id: str, opp_id: str, body, perform_as: str | None) -> dict:
    """A note on an opportunity: {value, score?: 1..4, secret?}."""
    get_opportunity(store, account_id, opp_id)
    if not isinstance(body, dict):
        raise bad_request("body must be a JSON object")
    value = _text(body.get("value"), "value", 100000)
    score = body.get("score")
    if score is not None and (not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 4):
        raise bad_request("score must be an integer 1 to 4")
    user_id = acting_user(store, account_id, perform_as) if perform_as else None
    now = now_ms()
    note = {"id": new_id(), "opportunityId": opp_id, "text": "Note", "value": value, "score": score,
            "secret": bool(body.get("secret", False)), "user": user_id,
            "fields": [{"type": "note", "text": "Note", "value": value}],
            "createdAt": now, "completedAt": now, "deletedAt": None}
    return store.put("notes", note, account_id)
