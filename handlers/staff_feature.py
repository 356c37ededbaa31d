"""The staff feature's declaration: admins grant and revoke roles."""

from __future__ import annotations

from handlers import staff
from handlers.kit.feature import Command, Feature
from services.models import Role

feature = Feature(
    name="staff",
    routers=lambda: (staff.router,),
    commands=(Command("grant", staff=Role.ADMIN, order=310),
              Command("revoke", staff=Role.ADMIN, order=320),
              Command("staff", staff=Role.ADMIN, order=330)),
)
