"""E-petitions: filing, moderation, signing, the threshold, the council's answer and the jobs.

`rules` (the council's numbers), `validation` (every typed field), `status` (visibility,
open or not, the guarded status change), `numbering` (the locked counter), `listing` (cards,
lists, the moderation queue), `filing` and `draft` (a new petition, the filing dialog's
draft), `signing` (one signature per person, the threshold crossed once), `moderation`
(approve, reject, edit, answer), `notifications` (everything told through the outbox),
`closing` and `appeal` (expiry, a failed petition considered as an appeal, overdue reminders),
`jobs` (what the scheduler runs), `sharing` (deep-link payloads, finding a petition by
number), `export` (signatures as CSV), `models` (the tables).

`from services import petitions; petitions.sign(...)` works for every name a module lists in
its `__all__`. The modules load on first use, not with the package: `services.models` imports
`services.petitions.models` while it is itself being loaded, before the feature's modules
could import it.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.petitions.appeal import *  # noqa: F403
    from services.petitions.closing import *  # noqa: F403
    from services.petitions.draft import *  # noqa: F403
    from services.petitions.export import *  # noqa: F403
    from services.petitions.filing import *  # noqa: F403
    from services.petitions.jobs import *  # noqa: F403
    from services.petitions.listing import *  # noqa: F403
    from services.petitions.moderation import *  # noqa: F403
    from services.petitions.notifications import *  # noqa: F403
    from services.petitions.numbering import *  # noqa: F403
    from services.petitions.rules import *  # noqa: F403
    from services.petitions.sharing import *  # noqa: F403
    from services.petitions.signing import *  # noqa: F403
    from services.petitions.status import *  # noqa: F403
    from services.petitions.validation import *  # noqa: F403

# The modules whose `__all__` make up the package's API (the same list as above).
API_MODULES = ("appeal", "closing", "draft", "export", "filing", "jobs", "listing",
               "moderation", "notifications", "numbering", "rules", "sharing", "signing",
               "status", "validation")


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{name}")


if not TYPE_CHECKING:  # type checkers see the imports above; at run time names load lazily

    def __getattr__(name: str) -> Any:
        if name in API_MODULES or name == "models":
            return _module(name)  # `from services.petitions import status`
        for module_name in API_MODULES:
            module = _module(module_name)
            if name in getattr(module, "__all__", ()):
                value = getattr(module, name)
                globals()[name] = value  # found once; plain attribute access from now on
                return value
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
