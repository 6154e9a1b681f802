"""Routes of the org feature."""

from flask import Blueprint

bp = Blueprint("org", __name__, url_prefix="/settings")
