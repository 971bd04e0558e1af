"""Errors in Stripe's shape: `{"error": {"type", "message", "param", "code", ...}}`."""

from __future__ import annotations

from typing import Any


class SandboxError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
        keep_changes: bool = False,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.extra = extra or {}
        # A failed payment is still recorded (the declined charge, its events).
        self.keep_changes = keep_changes

    @classmethod
    def invalid(cls, param: str, message: str, code: str | None = None) -> SandboxError:
        return cls(400, message, param=param, code=code or "parameter_invalid_string")

    @classmethod
    def not_implemented(cls, param: str, where: str) -> SandboxError:
        """A parameter Stripe takes that the sandbox does not implement (on `where`)."""
        return cls(
            400,
            f"The Moonly sandbox does not implement `{param}` on {where}; use Stripe "
            "test mode (STRIPE_SECRET_KEY=sk_test_…) for it.",
            param=param,
            code="sandbox_unsupported_parameter",
        )

    @classmethod
    def missing_param(cls, param: str) -> SandboxError:
        return cls(
            400,
            f"Missing required param: {param}.",
            param=param,
            code="parameter_missing",
        )

    @classmethod
    def no_such(cls, kind: str, object_id: str, param: str = "id") -> SandboxError:
        return cls(
            404,
            f"No such {kind}: '{object_id}'",
            param=param,
            code="resource_missing",
        )

    def body(self, request_id: str) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = (
                "https://docs.stripe.com/error-codes/" + self.code.replace("_", "-")
            )
        if self.param:
            error["param"] = self.param
        error["request_log_url"] = (
            "https://dashboard.stripe.com/test/logs/" + request_id
        )
        error.update(self.extra)
        return {"error": error}
