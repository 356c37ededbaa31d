"""The staff feature: admins grant and revoke roles, and list who holds which.

bot/ hands the routers a `staff_commands` publisher (its type, `StaffCommands`, is exported
here) to refresh a person's command list when their roles change.
"""

from __future__ import annotations

from handlers.kit.feature import Command, Feature
from handlers.staff import commands
from handlers.staff.commands import StaffCommands
from services.models import Role

__all__ = ["StaffCommands", "feature"]

feature = Feature(
    name="staff",
    routers=lambda: (commands.router(),),
    commands=(Command("grant", staff=Role.ADMIN, order=310),
              Command("revoke", staff=Role.ADMIN, order=320),
              Command("staff", staff=Role.ADMIN, order=330)),
)
