"""Validating flow parameters from the signature and type hints, with pydantic.

The model is built once per flow, on its first call, so ``import
orchestrator`` does not import pydantic. Errors are pydantic
``ValidationError``s titled with the flow's name, raised before anything is
submitted; values are coerced the pydantic way (``"3"`` becomes ``3`` for an
``int`` parameter), which is what the CLI's ``--param k=v`` relies on.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any

from ..records.errors import FlowDefinitionError

__all__ = ["ParameterValidator"]


class ParameterValidator:
    """Binds call arguments to a flow function's parameters and validates them."""

    def __init__(self, flow_name: str, fn: Callable[..., Any]) -> None:
        self.flow_name = flow_name
        self.signature = inspect.signature(fn)
        self._fn = fn
        self._model: Any = None
        self._validated: list[str] = []

    def _build(self) -> Any:
        import pydantic

        try:
            hints = typing.get_type_hints(self._fn)
        except Exception:  # noqa: BLE001 - unresolvable hints validate as Any rather than fail the flow
            hints = {}
        fields: dict[str, Any] = {}
        for name, param in self.signature.parameters.items():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            default = ... if param.default is param.empty else param.default
            # Field names are prefixed so parameters may be called "json" or "copy";
            # the alias keeps the user's name in every error message.
            fields[f"p_{name}"] = (hints.get(name, Any), pydantic.Field(default, alias=name))
            self._validated.append(name)
        config = pydantic.ConfigDict(arbitrary_types_allowed=True, extra="forbid", populate_by_name=False)
        # The model's name titles validation errors; a class name cannot hold NUL, a flow name may.
        return pydantic.create_model(self.flow_name.replace("\x00", "\\x00"), __config__=config, **fields)

    def validate(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """The validated parameters by name; raise ``ValidationError`` or ``FlowDefinitionError``."""
        if self._model is None:
            self._model = self._build()
        names = [
            n for n, p in self.signature.parameters.items() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        if len(args) > len(names):
            message = (
                f"flow {self.flow_name!r} takes {len(names)} positional parameter(s) "
                f"({', '.join(names) or 'none'}) but got {len(args)}"
            )
            raise FlowDefinitionError(message)
        given = dict(zip(names, args))
        for name, value in kwargs.items():
            if name in given:
                raise FlowDefinitionError(f"flow {self.flow_name!r} got parameter {name!r} twice")
            given[name] = value
        model = self._model.model_validate(given)
        return {name: getattr(model, f"p_{name}") for name in self._validated}
