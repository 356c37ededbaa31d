"""What the staff commands answer: a role granted or revoked, the list of staff.

Pure: plain values in, screens out.
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.kit.screen import Screen
from services.i18n import Texts
from services.models import Role
from services.roles import StaffMember


def _role(tr: Texts, role: Role) -> str:
    return tr(f"role.{role.value}")


def granted(tr: Texts, external_id: str, role: Role, added: bool) -> Screen:
    return Screen(tr("staff.granted" if added else "staff.already", id=external_id,
                     role=_role(tr, role)))


def revoked(tr: Texts, external_id: str, role: Role, removed: bool) -> Screen:
    return Screen(tr("staff.revoked" if removed else "staff.not_held", id=external_id,
                     role=_role(tr, role)))


def staff_list(tr: Texts, members: Sequence[StaffMember]) -> Screen:
    if not members:
        return Screen(tr("staff.empty"))
    lines = [tr("staff.line", id=m.external_id, roles=", ".join(_role(tr, r) for r in m.roles))
             for m in members]
    return Screen(tr("staff.title") + "\n" + "\n".join(lines))
