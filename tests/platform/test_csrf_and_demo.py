"""Every POST route of the platform demands a CSRF token; the demo loader builds a usable organisation."""

from sqlalchemy import select

from dashboard.accounts.models import Organisation, User
from dashboard.assessments.models import Assessment
from dashboard.demo import load_demo
from dashboard.extensions import db

BLUEPRINTS = ("assessments", "attempts", "take")


def _post_urls(app, values):
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in BLUEPRINTS and "POST" in rule.methods:
            args = {name: values[name] for name in rule.arguments}
            urls.append(rule.build(args)[1])
    return urls


def test_every_post_route_rejects_a_request_without_csrf(app, admin_client, admin, build_assessment, invite):
    org = admin.organisation
    a = build_assessment(org, publish=False)
    published = build_assessment(org, name="Published")
    attempt = invite(org, published)
    values = {"assessment_id": a.id, "part_id": a.parts[0].id, "question_id": a.parts[0].questions[0].id,
              "direction": "down", "attempt_id": attempt.id, "candidate_id": attempt.candidate_id,
              "token": attempt.token, "position": 1, "action": "publish"}
    urls = _post_urls(app, values)
    assert len(urls) >= 15
    for url in urls:
        resp = admin_client.post(url, data={"name": "x", "email": "x@example.com"}, csrf=False)
        assert resp.status_code == 400, url
    db.session.expire_all()
    assert db.session.get(Assessment, a.id).status == "draft" and len(a.parts) == 2
    assert attempt.status == "invited"


def test_load_demo_creates_the_organisation_once(app, client):
    assert load_demo() is True
    db.session.commit()
    org = db.session.scalar(select(Organisation))
    assert org.name == "Acme Analytics" and org.timezone == "Europe/London"
    roles = {u.email: u.role for u in db.session.scalars(select(User))}
    assert roles == {"owner@acme.example": "owner", "admin@acme.example": "admin",
                     "recruiter@acme.example": "recruiter"}
    analyst = db.session.scalar(select(Assessment).filter_by(name="Data Analyst Assessment"))
    assert (analyst.status, analyst.passing_score, analyst.time_limit_minutes,
            analyst.invitation_valid_days) == ("published", 60, 45, 7)
    basics, written = analyst.parts
    assert (basics.name, basics.grading, basics.weight, len(basics.questions)) == (
        "SQL & Statistics basics", "auto", 1, 4)
    assert all(q.kind == "multiple_choice" for q in basics.questions)
    assert (written.name, written.grading, written.weight) == ("Written analysis", "manual", 1)
    assert [(q.kind, q.max_points) for q in written.questions] == [("free_text", 10)]
    engineer = db.session.scalar(select(Assessment).filter_by(name="Data Engineer Assessment"))
    assert engineer.status == "draft"
    assert load_demo() is False
    resp = client.post("/login", data={"email": "admin@acme.example", "password": "demo-password"})
    assert resp.status_code == 302
    assert "Data Analyst Assessment" in client.get("/assessments/").get_data(as_text=True)


def test_load_demo_leaves_a_non_empty_database_alone(make_org):
    make_org("Existing")
    assert load_demo() is False
    assert db.session.query(Organisation).count() == 1
