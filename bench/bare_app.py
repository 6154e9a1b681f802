"""The baseline for B1: a bare Flask app whose webhook route reads the body and answers 204."""

from flask import Flask, request

app = Flask(__name__)


@app.post("/webhooks/lever/<public_id>")
def receive(public_id: str):
    """Read the delivery and acknowledge it, doing nothing else."""
    request.get_data(cache=False)
    return "", 204
