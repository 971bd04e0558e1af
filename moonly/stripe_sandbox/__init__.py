"""An offline Stripe for development and tests, talked to through the real `stripe` SDK.

Its state lives in the app's own database (tables `sandbox_*`), so it survives restarts and
two instances with different DATABASE_URLs never share it.
"""

from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from .client import SandboxHTTPClient
from .clock import advance_subscription
from .events import Deliverer, deliver_due
from .models import SandboxEvent, SandboxIdempotencyKey, SandboxObject

__all__ = [
    "Deliverer",
    "SandboxHTTPClient",
    "advance_subscription",
    "deliver_due",
    "reset",
]


def reset(engine: Engine) -> None:
    """Forget every sandbox object, idempotent result and event."""
    with Session(engine) as session:
        for model in (SandboxEvent, SandboxIdempotencyKey, SandboxObject):
            session.execute(delete(model))
        session.commit()
