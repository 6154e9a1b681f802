"""Routes of the lever feature."""

from flask import Blueprint

bp = Blueprint("lever", __name__, url_prefix="/lever")
