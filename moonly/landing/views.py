"""The product page, which captures invite links."""

from flask import render_template, request

from ..billing.catalog import PLANS, new_user_offer
from ..referral import invite_from_args, record_visit, remember_invite
from . import bp


@bp.after_app_request
def keep_invite(response):
    """Keep a valid invite link's ucc in a cookie, whichever page it lands on."""
    if (
        request.method == "GET"
        and "ucc" in request.args
        and response.status_code == 200
    ):
        invite = invite_from_args(request.args)
        if invite is not None:
            remember_invite(response, invite)
            record_visit(invite, request.path)
    return response


@bp.get("/")
def index():
    """Show the product page, with a welcome banner for an invited visitor."""
    invite = invite_from_args(request.args)
    offer = new_user_offer() if invite else None
    return render_template(
        "landing/index.html", invite=invite, offer=offer, plans=PLANS
    )
