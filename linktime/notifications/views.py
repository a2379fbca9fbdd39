"""Twilio's inbound-message webhook: replies of STOP (and START) from invitees."""
from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from linktime.extensions import csrf
from linktime.notifications import sms
from linktime.urls import public_url

bp = Blueprint("twilio", __name__, url_prefix="/integrations/twilio")


@bp.post("/sms")
@csrf.exempt  # Twilio's own posts: each is checked by its signature instead
def inbound() -> ResponseReturnValue:
    """Record opt-outs; Twilio signs every request with the account's auth token."""
    if not sms.configured():
        return "Twilio is not configured", 503
    params = request.form.to_dict()
    if not sms.valid_signature(public_url("twilio.inbound"), params, request.headers.get("X-Twilio-Signature", "")):
        return "invalid signature", 401
    sms.record_reply(params.get("From", ""), params.get("Body", ""))
    return '<?xml version="1.0" encoding="UTF-8"?><Response></Response>', 200, {"Content-Type": "text/xml"}
