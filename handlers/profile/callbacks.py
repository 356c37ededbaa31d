"""The profile's buttons: one CallbackData family per question, typed fields only.

The packed data are those of the buttons already in people's chats ("ob:lang:uk",
"ob:consent:yes", "st:name:", "st:set_language:en", "acc:unlink:12"), so they keep working.
Families sharing a prefix start with a fixed field, so none unpacks another's data; a forged
value fails to unpack and gets "this button no longer works".
"""

from __future__ import annotations

from typing import Annotated, Literal

from aiogram.filters.callback_data import CallbackData
from pydantic import AfterValidator

from handlers.core import MAIN_MENU
from handlers.kit.ids import RowId, SmallNumber
from handlers.kit.screen import Action
from handlers.profile.screens import Reply, SettingsAction
from services.i18n import LANGUAGES


def _known_language(code: str) -> str:
    if code not in LANGUAGES:
        raise ValueError(f"not a language of the bot: {code!r}")
    return code


LanguageCode = Annotated[str, AfterValidator(_known_language)]


class LanguageCB(CallbackData, prefix="ob"):
    """Onboarding's step 1: the bot's language."""

    question: Literal["lang"] = "lang"
    language: LanguageCode


class ConsentCB(CallbackData, prefix="ob"):
    """Onboarding's step 2: may we store what the person tells us?"""

    question: Literal["consent"] = "consent"
    reply: Reply


class LinkCB(CallbackData, prefix="ob"):
    """The shared phone belongs to a profile: is that profile the person's own?"""

    question: Literal["link"] = "link"
    reply: Reply


class DistrictCB(CallbackData, prefix="ob"):
    """Onboarding's optional district step: `choice` k is the k-th configured district, 0
    "don't know" (checked against the council's list when pressed)."""

    question: Literal["district"] = "district"
    choice: SmallNumber


class DistrictPageCB(CallbackData, prefix="ob"):
    """Another page of onboarding's district buttons."""

    question: Literal["district_page"] = "district_page"
    page: SmallNumber


class UnlinkCB(CallbackData, prefix="acc"):
    """'Not you? Unlink' under the notice that an account joined the profile."""

    action: Literal["unlink"] = "unlink"
    identity: RowId


class SettingsCB(CallbackData, prefix="st"):
    """A button of the settings screens."""

    action: SettingsAction
    # Always empty: it keeps the packed data "st:name:", as on the buttons sent so far.
    value: Literal[""] = ""


class SettingsLanguageCB(CallbackData, prefix="st"):
    """A language picked on the settings' language form."""

    action: Literal["set_language"] = "set_language"
    language: LanguageCode


class SettingsDistrictCB(CallbackData, prefix="st"):
    """A district picked on the settings' district form (0: "don't know")."""

    action: Literal["set_district"] = "set_district"
    choice: SmallNumber


class SettingsDistrictPageCB(CallbackData, prefix="st"):
    """Another page of the settings' district buttons."""

    action: Literal["district_page"] = "district_page"
    page: SmallNumber


def unlink_data(identity: int) -> str:
    """The unlink button's packed data, for the notice the outbox sends."""
    return UnlinkCB(identity=identity).pack()


class TelegramActions:
    """The screens' actions (handlers.profile.screens.Actions) as this feature's CallbackData."""

    def language(self, code: str) -> Action:
        return LanguageCB(language=code)

    def consent(self, reply: Reply) -> Action:
        return ConsentCB(reply=reply)

    def link(self, reply: Reply) -> Action:
        return LinkCB(reply=reply)

    def settings(self, action: SettingsAction) -> Action:
        return SettingsCB(action=action)

    def settings_language(self, code: str) -> Action:
        return SettingsLanguageCB(language=code)

    def district(self, choice: int) -> Action:
        return DistrictCB(choice=choice)

    def settings_district(self, choice: int) -> Action:
        return SettingsDistrictCB(choice=choice)

    def district_page(self, page: int) -> Action:
        return DistrictPageCB(page=page)

    def settings_district_page(self, page: int) -> Action:
        return SettingsDistrictPageCB(page=page)

    def menu(self) -> Action:
        return MAIN_MENU


ACTIONS = TelegramActions()
