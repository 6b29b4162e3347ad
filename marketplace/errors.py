"""The one failure family of the project's services.

A service that refuses raises an ``ApplicationError`` (or returns the transition runner's refused
result): a message the user can act on, in the active language; per field where the refusal
belongs to a form field; and, where the credit gate refused, its reasons with rule codes and
basis. Views turn it into a form error or a page message in one place
(``workflows.views.common``); a ``NotPermitted`` becomes a 403. Neither a bare
``PermissionError`` nor a database ``IntegrityError`` ever reaches a view: a service that can
meet a race at a unique constraint catches it and raises ``Conflict``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Message = Any  # a str or a lazy translation


def _texts(value: Message | Sequence[Message]) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


class ApplicationError(Exception):
    """A refusal the user can act on: messages, field errors where they belong, the gate's reasons."""

    def __init__(
        self,
        message: Message | Sequence[Message] | Mapping[str, Message | Sequence[Message]],
        *,
        refusals: Sequence[Any] = (),
    ) -> None:
        self.field_errors: dict[str, list[str]] = {}
        if isinstance(message, Mapping):
            self.field_errors = {str(k): _texts(v) for k, v in message.items()}
            self.messages = [text for texts in self.field_errors.values() for text in texts]
        else:
            self.messages = _texts(message)
        self.refusals = tuple(refusals)
        super().__init__("；".join(self.messages))

    def form_add(self, form: Any, field: str | None = None) -> None:
        """Put the refusal on a form: each field error on its field (where the form has it), the rest on ``field``."""
        if not self.field_errors:
            form.add_error(field, self.messages)
            return
        for name, texts in self.field_errors.items():
            form.add_error(name if name in form.fields else field, texts)

    @classmethod
    def from_validation(cls, exc: Any) -> ApplicationError:
        """The same refusal from a Django ``ValidationError`` (a model's ``full_clean``)."""
        if hasattr(exc, "error_dict"):
            return cls({("__all__" if k == "__all__" else k): v for k, v in exc.message_dict.items()})
        return cls(list(exc.messages))


class NotPermitted(ApplicationError):
    """The actor may not do this for this organisation or row (a 403 in a view)."""


class Conflict(ApplicationError):
    """Someone — or the same double click — got there first; nothing was written twice."""
