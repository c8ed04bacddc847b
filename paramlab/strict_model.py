"""One base for ParamLab's input models (script args, profiles, series, seed locks).

pydantic's v1 API is used on both hosts: A1111 1.10 ships pydantic 1.10, and Forge's pydantic 2
carries the same API as ``pydantic.v1``. Every model is immutable, refuses unknown keys, and raises
its own error type with one plain sentence per problem instead of pydantic's report.
"""

from __future__ import annotations

from typing import Any, ClassVar

try:
    from pydantic.v1 import BaseModel, Extra, StrictBool, ValidationError, constr, root_validator, validator
except ImportError:  # pragma: no cover - pydantic < 1.10.17
    from pydantic import (  # type: ignore[assignment]
        BaseModel,
        Extra,
        StrictBool,
        ValidationError,
        constr,
        root_validator,
        validator,
    )

__all__ = ["StrictBool", "StrictModel", "ValidationError", "constr", "root_validator", "validator"]


class StrictModel(BaseModel):
    """Subclasses set ``error_type`` and the three message parts below."""

    error_type: ClassVar[type[ValueError]] = ValueError
    # "unknown … field" sentence; {field} and {fields} are filled in.
    unknown_field_text: ClassVar[str] = "unknown field {field!r} (valid fields: {fields})"
    # Messages our own validators raise already name the field: they are kept as they are.
    own_message_prefix: ClassVar[str] = ""
    # Put before "<field>: <pydantic's message>" for pydantic's own complaints.
    field_prefix: ClassVar[str] = ""

    class Config:
        extra = Extra.forbid
        allow_mutation = False

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise self.error_type(self.explain(exc)) from exc

    @classmethod
    def is_own_message(cls, message: str) -> bool:
        return bool(cls.own_message_prefix) and message.startswith(cls.own_message_prefix)

    @classmethod
    def explain(cls, exc: ValidationError) -> str:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            if error["type"] == "value_error.extra" and len(error["loc"]) == 1:
                problems.append(cls.unknown_field_text.format(field=where, fields=", ".join(cls.__fields__)))
            elif error["type"].startswith("value_error") and cls.is_own_message(error["msg"]):
                problems.append(error["msg"].rstrip("."))
            else:
                problems.append(f"{cls.field_prefix}{where}: {error['msg']}")
        return "; ".join(problems) + "."
