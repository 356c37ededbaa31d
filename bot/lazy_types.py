"""aiogram's Telegram types get their pydantic validators on first use, not all at import.

Importing aiogram builds a validator and a serializer for each of its ~300 types, passing
each `model_rebuild` the namespace that resolves the types' forward references (the modules
import one another only for type checkers). That is ~27 MB, a quarter of a bare aiogram
bot's memory, for types a bot mostly never meets. Here, while aiogram is imported, that
rebuild puts the names a type's annotations use into the type's own module instead and
builds nothing; pydantic then builds a type the first time it is validated, constructed or
nested in another schema, resolving the same names to the same objects (no module has a
name of its own that the namespace would have shadowed; tests/test_lazy_types.py checks
that every type builds so and parses as aiogram's eager build does).
"""

from __future__ import annotations

import re
import sys
from typing import Any

from pydantic import BaseModel

_NAME = re.compile(r"[A-Za-z_]\w*")
_TYPES_PACKAGE = "aiogram.types."


def defer_aiogram_type_builds() -> bool:
    """Import aiogram with its types' builds deferred; False when it was imported already."""
    if "aiogram" in sys.modules:
        return False
    eager = BaseModel.__dict__["model_rebuild"]

    def deferred(cls: type[BaseModel], *args: Any, _types_namespace: dict[str, Any] | None = None,
                 **kwargs: Any) -> bool | None:
        if _types_namespace is None or not cls.__module__.startswith(_TYPES_PACKAGE):
            return eager.__func__(cls, *args, _types_namespace=_types_namespace, **kwargs)
        _lend_names(cls, _types_namespace)
        return None

    BaseModel.model_rebuild = classmethod(deferred)  # type: ignore[method-assign,assignment]
    try:
        import aiogram  # noqa: F401
    finally:
        BaseModel.model_rebuild = eager  # type: ignore[method-assign]
    return True


def _lend_names(cls: type[BaseModel], namespace: dict[str, Any]) -> None:
    """Give cls's module the names its (string) annotations, inherited ones too, refer to."""
    module_names = vars(sys.modules[cls.__module__])
    for klass in cls.__mro__:
        for annotation in vars(klass).get("__annotations__", {}).values():
            if not isinstance(annotation, str):
                continue
            for name in _NAME.findall(annotation):
                if name in namespace and name not in module_names:
                    module_names[name] = namespace[name]


__all__ = ["defer_aiogram_type_builds"]
