"""The candidate's take flow over HTTP: the secret link, start, parts, time limit, closed links."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dashboard.attempts import services
from dashboard.attempts.events import Actor
from dashboard.attempts.models import Attempt
from dashboard.core.clock import as_utc, utcnow
from dashboard.extensions import db


def _reload(attempt_id):
    db.session.expire_all()
    return db.session.get(Attempt, attempt_id)


def _parts(attempt):
    return sorted(attempt.part_scores, key=lambda ps: ps.part.position)


def test_unknown_token_is_a_clear_404(client):
    resp = client.get("/a/not-a-real-token")
    assert resp.status_code == 404 and "This link is not valid" in resp.get_data(as_text=True)
    assert client.post("/a/not-a-real-token/start").status_code == 404


def test_whole_flow_through_the_browser(client, org, build_assessment, invite):
    assessment = build_assessment(org, parts=(("auto", 1, 2), ("manual", 1, [10])), time_limit_minutes=45)
    attempt = invite(org, assessment)
    page = client.get(f"/a/{attempt.token}").get_data(as_text=True)
    assert "Data Analyst Assessment" in page and "45 minutes" in page and "Start the assessment" in page
    assert _reload(attempt.id).status == "invited"  # viewing changes nothing

    resp = client.post(f"/a/{attempt.token}/start")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/a/{attempt.token}/parts/1")
    attempt = _reload(attempt.id)
    assert attempt.status == "in_progress" and attempt.started_at is not None

    auto, manual = _parts(attempt)
    page = client.get(f"/a/{attempt.token}/parts/1").get_data(as_text=True)
    assert auto.part.questions[0].prompt in page
    data = {f"q-{q.id}": str(q.correct_choice) for q in auto.part.questions}
    resp = client.post(f"/a/{attempt.token}/parts/1", data=data)
    assert resp.headers["Location"].endswith("/parts/2")
    resp = client.post(f"/a/{attempt.token}/parts/1", data=data, follow_redirects=True)
    assert "already submitted" in resp.get_data(as_text=True)

    resp = client.post(f"/a/{attempt.token}/parts/2", data={f"q-{manual.part.questions[0].id}": "Text"},
                       follow_redirects=True)
    assert "completed this assessment" in resp.get_data(as_text=True)
    attempt = _reload(attempt.id)
    assert attempt.status == "completed" and attempt.final_score == 100
    assert attempt.evaluation_state == "provisional"

    # The completed link stays a clear page; posting again changes nothing.
    assert client.post(f"/a/{attempt.token}/start").status_code == 200
    assert "completed" in client.get(f"/a/{attempt.token}").get_data(as_text=True)
    assert _reload(attempt.id).started_at == attempt.started_at


def test_times_are_in_the_organisation_timezone_and_named(client, org, build_assessment, invite):
    org.timezone = "Asia/Tokyo"  # JST all year
    db.session.commit()
    attempt = invite(org, build_assessment(org))
    deadline = as_utc(attempt.deadline).astimezone(ZoneInfo("Asia/Tokyo"))
    page = client.get(f"/a/{attempt.token}").get_data(as_text=True)
    assert f"{deadline.strftime('%d %b %Y %H:%M')} JST (Asia/Tokyo time)" in page and "UTC" not in page

    client.post(f"/a/{attempt.token}/start")
    ends = services.time_ends_at(_reload(attempt.id))
    for path in ("", "/parts/1"):
        page = client.get(f"/a/{attempt.token}{path}").get_data(as_text=True)
        local = ends.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M")
        assert f"your time ends at {local} JST (Asia/Tokyo time)" in page and "UTC" not in page


def test_the_time_left_is_rendered_for_the_countdown_and_without_script(client, org, build_assessment, invite):
    attempt = invite(org, build_assessment(org, time_limit_minutes=45))
    client.post(f"/a/{attempt.token}/start")
    ends = services.time_ends_at(_reload(attempt.id))
    page = client.get(f"/a/{attempt.token}/parts/1").get_data(as_text=True)
    timer = re.search(r'<strong role="timer" data-countdown-to="([^"]+)"\s+data-countdown-now="([^"]+)">([^<]+)<',
                      page)
    assert timer, "the countdown element is missing"
    to, now, text = timer.groups()
    assert to == ends.isoformat(timespec="milliseconds")
    assert 0 <= (as_utc(utcnow()) - datetime.fromisoformat(now)).total_seconds() < 60
    assert text in ("45:00", "44:59")  # the server's own rendering, shown until the script takes over
    assert "data-countdown-done hidden" in page and "Time is up" in page

    row = _reload(attempt.id)
    row.started_at = utcnow() - timedelta(minutes=46)
    db.session.commit()
    page = client.get(f"/a/{attempt.token}/parts/1").get_data(as_text=True)
    assert "data-countdown-to" not in page and "Time is up" in page


def test_a_part_with_blank_answers_is_accepted_without_script(client, org, build_assessment, invite):
    attempt = invite(org, build_assessment(org, parts=(("auto", 1, 3), ("manual", 1, [10]))))
    client.post(f"/a/{attempt.token}/start")
    page = client.get(f"/a/{attempt.token}/parts/1").get_data(as_text=True)
    # The warning is the script's step; the page itself states that a submission is final.
    assert "<form method=\"post\" novalidate data-unanswered-check>" in page
    assert "data-unanswered-panel hidden" in page and "cannot be undone" in page
    auto = _parts(_reload(attempt.id))[0]
    first = auto.part.questions[0]
    resp = client.post(f"/a/{attempt.token}/parts/1", data={f"q-{first.id}": str(first.correct_choice)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/parts/2")
    assert _parts(_reload(attempt.id))[0].state == "scored"


def test_bad_choice_is_refused_with_a_message(client, org, build_assessment, invite):
    attempt = invite(org, build_assessment(org))
    client.post(f"/a/{attempt.token}/start")
    auto = _parts(_reload(attempt.id))[0]
    for bad in ("9", "x", "-1"):
        resp = client.post(f"/a/{attempt.token}/parts/1", data={f"q-{auto.part.questions[0].id}": bad},
                           follow_redirects=True)
        assert resp.status_code == 200 and "choice does not exist" in resp.get_data(as_text=True)
    assert _parts(_reload(attempt.id))[0].state == "pending"
    assert client.get(f"/a/{attempt.token}/parts/7").status_code == 404


def test_answers_after_the_time_limit_are_refused_and_the_attempt_finishes(client, org, build_assessment,
                                                                           invite):
    attempt = invite(org, build_assessment(org, time_limit_minutes=30))
    client.post(f"/a/{attempt.token}/start")
    row = _reload(attempt.id)
    row.started_at = utcnow() - timedelta(minutes=31)
    db.session.commit()
    page = client.get(f"/a/{attempt.token}").get_data(as_text=True)
    assert "Time is up" in page
    auto = _parts(row)[0]
    resp = client.post(f"/a/{attempt.token}/parts/1",
                       data={f"q-{q.id}": str(q.correct_choice) for q in auto.part.questions})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Time is up" in text and "not accepted" in text
    row = _reload(attempt.id)
    assert row.status == "completed" and row.final_score == 0 and row.evaluation_state == "final"


def test_expired_invitation_cannot_be_started(client, org, build_assessment, invite):
    attempt = invite(org, build_assessment(org, invitation_valid_days=7),
                     now=utcnow() - timedelta(days=7, minutes=1))
    resp = client.get(f"/a/{attempt.token}")
    assert resp.status_code == 410 and "expired" in resp.get_data(as_text=True)
    resp = client.post(f"/a/{attempt.token}/start")
    assert resp.status_code == 410
    row = _reload(attempt.id)
    assert row.status == "invited" and row.started_at is None


def test_cancelled_invitation_is_closed(client, org, build_assessment, invite):
    from dashboard.attempts import services

    attempt = invite(org, build_assessment(org))
    services.cancel_attempt(attempt.id, "Role filled", actor=Actor("recruiter@example.com"))
    db.session.commit()
    resp = client.get(f"/a/{attempt.token}")
    assert resp.status_code == 410 and "cancelled" in resp.get_data(as_text=True)
    assert client.post(f"/a/{attempt.token}/start").status_code == 410
    assert client.get(f"/a/{attempt.token}/parts/1").status_code == 410
    assert _reload(attempt.id).status == "cancelled"


def test_parts_before_start_send_back_to_the_landing_page(client, org, build_assessment, invite):
    attempt = invite(org, build_assessment(org))
    resp = client.post(f"/a/{attempt.token}/parts/1", data={})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/a/{attempt.token}")
    assert _reload(attempt.id).answers == []


def test_finish_early_scores_unsubmitted_parts_as_blank(client, org, build_assessment, invite):
    attempt = invite(org, build_assessment(org, parts=(("auto", 1, 2), ("auto", 1, 2))))
    client.post(f"/a/{attempt.token}/start")
    auto = _parts(_reload(attempt.id))[0]
    client.post(f"/a/{attempt.token}/parts/1", data={f"q-{q.id}": str(q.correct_choice) for q in auto.part.questions})
    client.post(f"/a/{attempt.token}/finish")
    row = _reload(attempt.id)
    assert row.status == "completed" and row.final_score == 50 and row.evaluation_state == "final"


def test_in_progress_pages_show_the_clock_and_the_parts(client, make_user, org, build_assessment, invite):
    from tests.support.clients import login

    attempt = invite(org, build_assessment(org))
    client.post(f"/a/{attempt.token}/start")
    page = client.get(f"/a/{attempt.token}").get_data(as_text=True)
    assert "Time left" in page and "To do" in page and "Finish the assessment now" in page
    login(client, make_user("admin", org=org))
    staff = client.get(f"/lever/candidates/{attempt.candidate_id}").get_data(as_text=True)
    assert "In progress" in staff and "Time ends" in staff and "Grant extra time" in staff


def test_a_part_submitted_eight_times_at_once_is_stored_once(app, org, build_assessment, invite):
    """Eight simultaneous POSTs of one part over real HTTP: one is stored, the others hear it already was."""
    import re
    import threading

    import requests
    from sqlalchemy import func, select

    from dashboard.attempts.models import Answer
    from tests.support.live import LiveServer

    assessment = build_assessment(org, parts=(("auto", 1, 2), ("manual", 1, [10])))
    attempt = invite(org, assessment)
    def csrf(session, url):
        return re.search(r'name="csrf_token" value="([^"]+)"', session.get(url, timeout=10).text).group(1)

    server = LiveServer(app)
    try:
        base = f"{server.url}/a/{attempt.token}"
        starter = requests.Session()
        started = starter.post(f"{base}/start", data={"csrf_token": csrf(starter, base)}, allow_redirects=False,
                               timeout=10)
        assert started.status_code == 302
        auto = _parts(_reload(attempt.id))[0]
        data = {f"q-{q.id}": str(q.correct_choice) for q in auto.part.questions}
        answers, barrier = [], threading.Barrier(8)

        def submit():
            session = requests.Session()
            token = csrf(session, f"{base}/parts/1")
            barrier.wait()
            resp = session.post(f"{base}/parts/1", data={**data, "csrf_token": token}, timeout=30)
            answers.append((resp.status_code, resp.text))

        threads = [threading.Thread(target=submit) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        server.stop()
    assert [status for status, _ in answers] == [200] * 8, [s for s, _ in answers]
    assert sum("submitted" in text for _, text in answers) == 8
    assert sum("already submitted" in text for _, text in answers) == 7
    db.session.expire_all()
    stored = db.session.scalar(select(func.count(Answer.id)).where(Answer.attempt_id == attempt.id))
    assert stored == len(auto.part.questions)
    assert _parts(_reload(attempt.id))[0].state == "scored"
