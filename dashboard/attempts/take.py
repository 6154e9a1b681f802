"""Routes of the take feature."""

from flask import Blueprint

bp = Blueprint("take", __name__, url_prefix="/a")
