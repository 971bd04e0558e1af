"""What every page carries for Cello: the attribution stub and script in <head>, and
the Referral component's boot settings for a signed-in user."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from markupsafe import Markup

from . import bp, component
from .hosts import assets_host

# Cello's command-queue stub (docs.cello.so, attribution-js-usage). It must run before
# any call to the library, so it is inline in <head>; the CSP allows it by its hash.
CELLO_ATTRIBUTION_STUB = (
    'window.CelloAttribution=window.CelloAttribution||function(t,...o){if("getReferral"'
    '===t)throw new Error("getReferral is not supported in this context. Use getUcc '
    'instead.");let e,n;const i=new Promise((t,o)=>{e=t,n=o});return window.'
    "CelloAttributionCmd=window.CelloAttributionCmd||[],window.CelloAttributionCmd.push"
    "({command:t,args:o,resolve:e,reject:n}),i}"
)
ATTRIBUTION_SCRIPT = "/attribution/latest/cello-attribution.js"


@bp.app_context_processor
def cello_page_context() -> dict[str, Any]:
    booted = component.enabled() and current_user.is_authenticated
    stub = Markup(CELLO_ATTRIBUTION_STUB)  # noqa: S704 - a constant
    return {
        "cello_attribution_stub": stub,
        "cello_attribution_src": assets_host() + ATTRIBUTION_SCRIPT,
        "cello_component": component.boot_settings(current_user) if booted else None,
    }
