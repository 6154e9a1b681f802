"""Assessments: services (validation, publish rules) and staff routes (roles, scoping, pages)."""

import pytest

from dashboard.assessments import services
from dashboard.assessments.models import Assessment
from dashboard.extensions import db

SETTINGS = {"passing_score": 60, "time_limit_minutes": 45, "invitation_valid_days": 7}


def test_create_trims_name_and_starts_as_draft(org):
    a = services.create_assessment(org.id, name="  Data Analyst  ", **SETTINGS)
    assert a.name == "Data Analyst" and a.status == "draft"


def test_duplicate_name_after_trimming_is_refused(org):
    services.create_assessment(org.id, name="Data Analyst", **SETTINGS)
    with pytest.raises(services.AssessmentError, match="already exists"):
        services.create_assessment(org.id, name=" Data Analyst ", **SETTINGS)
    with pytest.raises(services.AssessmentError, match="already exists"):
        services.create_assessment(org.id, name="data analyst", **SETTINGS)


def test_same_name_in_another_organisation_is_fine(org, make_org):
    services.create_assessment(org.id, name="Data Analyst", **SETTINGS)
    other = make_org("Other")
    assert services.create_assessment(other.id, name="Data Analyst", **SETTINGS).id


@pytest.mark.parametrize(("field", "value", "message"), [
    ("passing_score", -1, "between 0 and 100"), ("passing_score", 100.5, "between 0 and 100"),
    ("time_limit_minutes", 0, "at least 1 minute"), ("invitation_valid_days", 0, "at least 1 day"),
])
def test_settings_out_of_range_are_refused(org, field, value, message):
    with pytest.raises(services.AssessmentError, match=message):
        services.create_assessment(org.id, name="X", **{**SETTINGS, field: value})


def test_passing_score_edges_are_allowed(org):
    assert services.create_assessment(org.id, name="A", **{**SETTINGS, "passing_score": 0}).passing_score == 0
    assert services.create_assessment(org.id, name="B", **{**SETTINGS, "passing_score": 100}).passing_score == 100


def test_publish_needs_parts_and_questions(org):
    a = services.create_assessment(org.id, name="A", **SETTINGS)
    with pytest.raises(services.AssessmentError, match="at least one part"):
        services.publish_assessment(a.id)
    part = services.add_part(a.id, name="Basics", weight=1, grading="auto")
    with pytest.raises(services.AssessmentError, match="Basics"):
        services.publish_assessment(a.id)
    services.add_question(part.id, kind="multiple_choice", prompt="?", choices=["x", "y"], correct_choice=0)
    assert services.publish_assessment(a.id).status == "published"
    with pytest.raises(services.AssessmentError, match="draft"):
        services.add_part(a.id, name="Late", weight=1, grading="auto")


def test_part_and_question_rules(org):
    a = services.create_assessment(org.id, name="A", **SETTINGS)
    with pytest.raises(services.AssessmentError, match="weight"):
        services.add_part(a.id, name="P", weight=0, grading="auto")
    auto = services.add_part(a.id, name="Auto", weight=1, grading="auto")
    manual = services.add_part(a.id, name="Manual", weight=2, grading="manual")
    with pytest.raises(services.AssessmentError, match="multiple-choice"):
        services.add_question(auto.id, kind="free_text", prompt="?", max_points=5)
    with pytest.raises(services.AssessmentError, match="free-text or SQL"):
        services.add_question(manual.id, kind="multiple_choice", prompt="?", choices=["a", "b"], correct_choice=0)
    with pytest.raises(services.AssessmentError, match="two choices"):
        services.add_question(auto.id, kind="multiple_choice", prompt="?", choices=["a", " "], correct_choice=0)
    with pytest.raises(services.AssessmentError, match="correct"):
        services.add_question(auto.id, kind="multiple_choice", prompt="?", choices=["a", "b"], correct_choice=2)
    with pytest.raises(services.AssessmentError, match="points"):
        services.add_question(manual.id, kind="sql", prompt="?", max_points=0)
    q = services.add_question(manual.id, kind="sql", prompt="SELECT?", max_points=5)
    assert q.max_points == 5 and q.choices == []
    services.move_part(manual.id, -1)
    db.session.expire_all()
    assert [p.name for p in db.session.get(Assessment, a.id).parts] == ["Manual", "Auto"]
    services.delete_part(manual.id)
    db.session.expire_all()
    assert [(p.name, p.position) for p in db.session.get(Assessment, a.id).parts] == [("Auto", 1)]


def test_admin_creates_through_the_form(admin_client, admin):
    resp = admin_client.post("/assessments/new", data={
        "name": "  SQL Test ", "passing_score": "70", "time_limit_minutes": "30", "invitation_valid_days": "5"})
    assert resp.status_code == 302
    a = db.session.scalar(db.select(Assessment).filter_by(organisation_id=admin.organisation_id))
    assert a.name == "SQL Test" and a.passing_score == 70


def test_form_errors_are_shown_and_change_nothing(admin_client, admin, build_assessment):
    build_assessment(admin.organisation, name="Taken")
    resp = admin_client.post("/assessments/new", data={
        "name": "Taken", "passing_score": "70", "time_limit_minutes": "30", "invitation_valid_days": "5"})
    assert resp.status_code == 400 and "already exists" in resp.get_data(as_text=True)
    resp = admin_client.post("/assessments/new", data={
        "name": "New", "passing_score": "170", "time_limit_minutes": "30", "invitation_valid_days": "5"})
    assert resp.status_code == 400 and "Between 0 and 100" in resp.get_data(as_text=True)
    resp = admin_client.post("/assessments/new", data={
        "name": "New", "passing_score": "abc", "time_limit_minutes": "-3", "invitation_valid_days": ""})
    assert resp.status_code == 400
    assert db.session.query(Assessment).count() == 1


def test_publish_without_questions_flashes_a_clear_error(admin_client, admin):
    a = services.create_assessment(admin.organisation_id, name="Empty", **SETTINGS)
    db.session.commit()
    resp = admin_client.post(f"/assessments/{a.id}/publish", follow_redirects=True)
    assert "at least one part" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Assessment, a.id).status == "draft"


def test_build_parts_questions_and_publish_through_routes(admin_client, admin):
    a = services.create_assessment(admin.organisation_id, name="Built", **SETTINGS)
    db.session.commit()
    assert admin_client.post(f"/assessments/{a.id}/parts", data={
        "name": "Basics", "weight": "2", "grading": "auto"}).status_code == 302
    part = db.session.get(Assessment, a.id).parts[0]
    resp = admin_client.post(f"/assessments/{a.id}/parts/{part.id}/questions", data={
        f"q{part.id}-kind": "multiple_choice", f"q{part.id}-prompt": "2+2?",
        f"q{part.id}-choices": "3\n4\n5", f"q{part.id}-correct_choice": "2"})
    assert resp.status_code == 302
    db.session.expire_all()
    q = db.session.get(Assessment, a.id).parts[0].questions[0]
    assert q.choices == ["3", "4", "5"] and q.correct_choice == 1
    admin_client.post(f"/assessments/{a.id}/publish")
    db.session.expire_all()
    assert db.session.get(Assessment, a.id).status == "published"
    page = admin_client.get(f"/assessments/{a.id}").get_data(as_text=True)
    assert "4 - Strong Hire" in page and "80% to 100%" in page and "Invite a candidate" in page
    admin_client.post(f"/assessments/{a.id}/archive")
    db.session.expire_all()
    assert db.session.get(Assessment, a.id).status == "archived"


def test_recruiter_reads_but_cannot_change(recruiter_client, recruiter, build_assessment):
    a = build_assessment(recruiter.organisation, publish=False)
    assert recruiter_client.get("/assessments/").status_code == 200
    assert recruiter_client.get(f"/assessments/{a.id}").status_code == 200
    assert recruiter_client.get("/assessments/new").status_code == 403
    assert recruiter_client.post("/assessments/new", data={"name": "X"}).status_code == 403
    assert recruiter_client.post(f"/assessments/{a.id}/publish").status_code == 403
    assert recruiter_client.post(f"/assessments/{a.id}/archive").status_code == 403
    assert recruiter_client.post(f"/assessments/{a.id}/edit", data={"name": "Y"}).status_code == 403
    assert recruiter_client.post(f"/assessments/{a.id}/parts", data={"name": "P"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Assessment, a.id).status == "draft"


def test_another_organisations_assessment_is_404(admin_client, make_org, build_assessment):
    other = build_assessment(make_org("Rival"))
    part = other.parts[0]
    assert admin_client.get(f"/assessments/{other.id}").status_code == 404
    assert admin_client.get(f"/assessments/{other.id}/edit").status_code == 404
    assert admin_client.post(f"/assessments/{other.id}/archive").status_code == 404
    assert admin_client.post(f"/assessments/{other.id}/parts/{part.id}/delete").status_code == 404
    assert admin_client.post(f"/assessments/{other.id}/invite",
                             data={"email": "x@example.com", "name": "X"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Assessment, other.id).status == "published"


def test_part_of_another_assessment_is_404(admin_client, admin, build_assessment):
    mine = build_assessment(admin.organisation, name="Mine", publish=False)
    theirs = build_assessment(admin.organisation, name="Theirs", publish=False)
    assert admin_client.post(f"/assessments/{mine.id}/parts/{theirs.parts[0].id}/delete").status_code == 404


def test_empty_list_says_what_to_do(admin_client):
    page = admin_client.get("/assessments/").get_data(as_text=True)
    assert "Create your first assessment" in page


def test_anonymous_is_sent_to_login(client, org, build_assessment):
    a = build_assessment(org)
    resp = client.get(f"/assessments/{a.id}")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
