"""Imports every feature's models so that metadata (and Alembic) sees all tables."""

from dashboard.accounts import models as accounts_models  # noqa: F401
from dashboard.assessments import models as assessments_models  # noqa: F401
from dashboard.attempts import models as attempts_models  # noqa: F401
from dashboard.jobs import models as scheduler_models  # noqa: F401
from dashboard.lever.connection import models as lever_models  # noqa: F401
from dashboard.lever.sync import job_counts as lever_counts  # noqa: F401
from dashboard.lever.sync import models as lever_records  # noqa: F401
from dashboard.mail import models as mail_models  # noqa: F401
