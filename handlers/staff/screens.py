"""What the staff commands answer: a role granted or revoked, the list of staff.

Pure: plain values in, screens out.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from handlers.kit.clip import clip_text
from handlers.kit.screen import Screen
from services.i18n import Texts
from services.models import Channel, Role
from services.roles import StaffMember


def _role(tr: Texts, role: Role) -> str:
    return tr(f"role.{role.value}")


def _who(member: StaffMember) -> str:
    """How a command names the account again: a Telegram id as is, others `viber:<id>`."""
    if member.channel == Channel.TELEGRAM.value:
        return member.external_id
    return f"{member.channel}:{member.external_id}"


def _typed(who: str) -> str:
    """The account as the admin typed it, safe to echo."""
    return html.escape(clip_text(who, 80))


def granted(tr: Texts, who: str, role: Role, added: bool) -> Screen:
    return Screen(tr("staff.granted" if added else "staff.already", id=_typed(who),
                     role=_role(tr, role)))


def revoked(tr: Texts, who: str, role: Role, removed: bool) -> Screen:
    return Screen(tr("staff.revoked" if removed else "staff.not_held", id=_typed(who),
                     role=_role(tr, role)))


def staff_list(tr: Texts, members: Sequence[StaffMember]) -> Screen:
    if not members:
        return Screen(tr("staff.empty"))
    lines = [tr("staff.line", id=_who(m), roles=", ".join(_role(tr, r) for r in m.roles))
             for m in members]
    return Screen(tr("staff.title") + "\n" + "\n".join(lines))
