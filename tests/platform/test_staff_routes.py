"""Staff pages for candidates, attempts and evaluation: invite, actions, grading, scoping, roles."""

import re
from collections import Counter
from datetime import timedelta

from dashboard.attempts import services
from dashboard.attempts.models import Attempt, Candidate
from dashboard.core.clock import as_utc, utcnow
from dashboard.extensions import db
from dashboard.mail.models import MailMessage
from tests.support.attempts import complete
from tests.support.clients import login


def _reload(attempt_id):
    db.session.expire_all()
    return db.session.get(Attempt, attempt_id)


def test_recruiter_invites_a_candidate_and_the_email_is_stored(recruiter_client, recruiter, build_assessment,
                                                               recorded_events):
    a = build_assessment(recruiter.organisation)
    resp = recruiter_client.post(f"/people/invite/{a.id}",
                                 data={"email": "New.Person@Example.com", "name": "New Person"})
    assert resp.status_code == 302
    candidate = db.session.scalar(db.select(Candidate))
    assert candidate.email == "new.person@example.com"
    assert resp.headers["Location"].endswith(f"/lever/candidates/{candidate.id}")
    attempt = db.session.scalar(db.select(Attempt))
    mail = db.session.scalar(db.select(MailMessage))
    assert mail.to == "new.person@example.com" and attempt.token in mail.text_body
    assert [n for n, _ in recorded_events] == ["attempt_invited"]
    page = recruiter_client.get(f"/lever/candidates/{candidate.id}").get_data(as_text=True)
    assert "Data Analyst Assessment" in page and "Invited" in page and "Resend invitation" in page


def test_invite_with_a_bad_email_changes_nothing(recruiter_client, recruiter, build_assessment):
    a = build_assessment(recruiter.organisation)
    resp = recruiter_client.post(f"/people/invite/{a.id}", data={"email": "nope", "name": "X"},
                                 follow_redirects=True)
    assert resp.status_code == 200 and "Candidate email" in resp.get_data(as_text=True)
    assert db.session.query(Candidate).count() == 0 and db.session.query(Attempt).count() == 0


def test_invite_to_a_draft_is_refused(admin_client, admin, build_assessment):
    a = build_assessment(admin.organisation, publish=False)
    resp = admin_client.post(f"/people/invite/{a.id}", data={"email": "c@example.com", "name": "C"},
                             follow_redirects=True)
    assert "not published" in resp.get_data(as_text=True)
    assert db.session.query(Attempt).count() == 0 and db.session.query(Candidate).count() == 0


def test_candidate_page_shows_scores_state_and_rating(admin_client, admin, build_assessment, invite):
    org = admin.organisation
    attempt = invite(org, build_assessment(org, passing_score=60))
    complete(attempt)
    page = admin_client.get(f"/lever/candidates/{attempt.candidate_id}").get_data(as_text=True)
    assert "100%" in page and "Awaiting evaluation" in page and "provisional" in page
    assert "4 - Strong Hire" in page
    listing = admin_client.get("/lever/candidates").get_data(as_text=True)
    assert "Casey Candidate" in listing
    assert "Casey" in admin_client.get("/lever/candidates?q=casey").get_data(as_text=True)
    assert "No candidates match" in admin_client.get("/lever/candidates?q=zzz").get_data(as_text=True)


def test_grading_queue_and_evaluation(admin_client, admin, build_assessment, invite, recorded_events):
    org = admin.organisation
    attempt = invite(org, build_assessment(org, parts=(("auto", 1, 2), ("manual", 1, [10]))))
    complete(attempt)
    queue = admin_client.get("/people/evaluation").get_data(as_text=True)
    assert "Casey Candidate" in queue and "Part 2" in queue
    answer = next(a for a in _reload(attempt.id).answers if a.text)
    page = admin_client.get(f"/people/attempts/{attempt.id}/evaluate").get_data(as_text=True)
    assert "An answer" in page and f'name="points-{answer.id}"' in page
    for bad in ("11", "-1", "abc", ""):
        resp = admin_client.post(f"/people/attempts/{attempt.id}/evaluate", data={f"points-{answer.id}": bad})
        assert resp.status_code == 400 and "Part 2" in resp.get_data(as_text=True)
    assert _reload(attempt.id).evaluation_state == "provisional"
    recorded_events.clear()
    resp = admin_client.post(f"/people/attempts/{attempt.id}/evaluate", data={f"points-{answer.id}": "5"})
    assert resp.status_code == 302
    row = _reload(attempt.id)
    assert row.evaluation_state == "final" and row.final_score == 75
    assert [n for n, _ in recorded_events] == ["part_scored", "attempt_evaluated"]
    assert "Nothing to evaluate" in admin_client.get("/people/evaluation").get_data(as_text=True)


def test_recruiter_cannot_evaluate(recruiter_client, recruiter, build_assessment, invite):
    org = recruiter.organisation
    attempt = invite(org, build_assessment(org))
    assert recruiter_client.get("/people/evaluation").status_code == 403
    assert recruiter_client.post(f"/people/attempts/{attempt.id}/evaluate", data={}).status_code == 403


def test_staff_actions_extend_extra_time_cancel(recruiter_client, recruiter, build_assessment, invite):
    org = recruiter.organisation
    attempt = invite(org, build_assessment(org), now=utcnow() - timedelta(days=10))
    services.expire_due_attempts()
    db.session.commit()
    recruiter_client.post(f"/people/attempts/{attempt.id}/extend", data={"days": "2"})
    row = _reload(attempt.id)
    assert row.status == "invited" and as_utc(row.deadline) > utcnow() + timedelta(days=1)
    resp = recruiter_client.post(f"/people/attempts/{attempt.id}/extend", data={"days": "0"},
                                 follow_redirects=True)
    assert "Between 1 and 365" in resp.get_data(as_text=True)
    recruiter_client.post(f"/people/attempts/{attempt.id}/extra-time", data={"minutes": "20"})
    assert _reload(attempt.id).extra_minutes == 20
    recruiter_client.post(f"/people/attempts/{attempt.id}/resend")
    assert db.session.query(MailMessage).count() == 1
    recruiter_client.post(f"/people/attempts/{attempt.id}/cancel", data={"reason": "Role filled"})
    row = _reload(attempt.id)
    assert row.status == "cancelled" and row.cancelled_reason == "Role filled"
    resp = recruiter_client.post(f"/people/attempts/{attempt.id}/resend", follow_redirects=True)
    assert "open invitation" in resp.get_data(as_text=True)


def test_candidate_page_labels_name_their_inputs_and_ids_are_unique(recruiter_client, recruiter,
                                                                   build_assessment, invite):
    org = recruiter.organisation
    first = invite(org, build_assessment(org))
    invite(org, build_assessment(org, name="Data Engineer Assessment"))  # the same person, a second form set
    html = recruiter_client.get(f"/lever/candidates/{first.candidate_id}").get_data(as_text=True)
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert [i for i, n in ids.items() if n > 1] == []
    targets = re.findall(r'<label[^>]*\sfor="([^"]+)"', html)
    wanted = {f"{name}-{a.id}" for name in ("days", "minutes", "reason") for a in first.candidate.attempts}
    assert wanted <= set(targets)
    assert [t for t in targets if t not in ids] == []
    assert html.count('name="csrf_token"') >= 7 and 'id="csrf_token"' not in html


def test_other_organisations_candidates_and_attempts_are_404(admin_client, make_org, build_assessment,
                                                             invite):
    rival = make_org("Rival")
    attempt = invite(rival, build_assessment(rival))
    for url in (f"/people/{attempt.candidate_id}", f"/people/attempts/{attempt.id}/evaluate"):
        assert admin_client.get(url).status_code == 404
    for action in ("extend", "extra-time", "cancel", "resend", "evaluate"):
        assert admin_client.post(f"/people/attempts/{attempt.id}/{action}",
                                 data={"days": "1", "minutes": "1"}).status_code == 404
    assert _reload(attempt.id).status == "invited" and _reload(attempt.id).extra_minutes == 0
    assert "No candidates yet" in admin_client.get("/lever/candidates").get_data(as_text=True)


def test_anonymous_cannot_see_people(client, org, build_assessment, invite):
    attempt = invite(org, build_assessment(org))
    assert client.get(f"/lever/candidates/{attempt.candidate_id}").status_code == 302


def test_each_role_sees_only_its_organisation(client, make_user, make_org, build_assessment, invite):
    rival = make_org("Rival")
    invite(rival, build_assessment(rival), email="secret@example.com")
    login(client, make_user("recruiter"))
    assert "secret@example.com" not in client.get("/lever/candidates").get_data(as_text=True)


def test_people_search_treats_percent_and_underscore_literally(recruiter_client, org, build_assessment, invite):
    assessment = build_assessment(org)
    for email, name in (("bea_x@example.com", "Bea Under"), ("beaqx@example.com", "Bea Queue"),
                        ("pct@example.com", "100% Sure")):
        invite(org, assessment, email=email, name=name)  # invited by hand: no Lever

    def found(q):
        html = recruiter_client.get("/lever/candidates", query_string={"q": q}).get_data(as_text=True)
        return sorted(n for n in ("Bea Under", "Bea Queue", "100% Sure") if n in html)

    assert found("bea_x") == ["Bea Under"]  # "_" is not "any character"
    assert found("%") == ["100% Sure"]  # "%" is not "anything"
    assert found("e_") == []  # as a wildcard it would match "bea"
