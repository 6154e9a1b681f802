"""Every recorded job run also feeds the job-duration metric that /metrics exposes."""

from dashboard.jobs.runs import record_run
from dashboard.observability.metrics import JOB_SECONDS


def _count(job: str) -> float:
    for metric in JOB_SECONDS.collect():
        for sample in metric.samples:
            if sample.name.endswith("_count") and sample.labels.get("job") == job:
                return sample.value
    return 0.0


def test_a_recorded_run_is_observed(app):
    before = _count("metrics-probe")
    run = record_run("metrics-probe", None, lambda counter: {"changed": 1})
    assert run.status == "ok"
    assert _count("metrics-probe") == before + 1


def test_a_failed_run_is_observed_too(app):
    def boom(counter):
        raise RuntimeError("broken")

    before = _count("metrics-probe-failed")
    run = record_run("metrics-probe-failed", None, boom)
    assert run.status == "failed" and "broken" in run.error
    assert _count("metrics-probe-failed") == before + 1
