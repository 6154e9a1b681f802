"""Routes of the attempts feature."""

from flask import Blueprint

bp = Blueprint("attempts", __name__, url_prefix="/candidates-admin")
