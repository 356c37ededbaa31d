"""Compatibility: onboarding moved to handlers.profile; features not moved yet import it here.

Import ``from handlers.profile import ...`` instead; this module goes once nothing imports it.
"""

from handlers.profile import ProfileRules, on_resume, require_profile

__all__ = ["ProfileRules", "on_resume", "require_profile"]
