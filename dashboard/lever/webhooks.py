"""Routes of the webhooks feature."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
