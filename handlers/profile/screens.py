"""The profile's screens: onboarding's questions ("step k of n"), the account-linking question,
`/settings` and its forms, `/forget`.

Pure: no aiogram. The buttons' actions come from the channel through `Actions`
(handlers/profile/callbacks.py builds them as aiogram CallbackData).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any, Protocol

from handlers.kit.keyboard import Keyboard
from handlers.kit.pager import choices_page
from handlers.kit.screen import Action, Button, InputRequest, RequestKind, Screen
from services.i18n import LANGUAGES, Texts
from services.models import Resident
from services.profile import ProfileRules, ProfileStep

# Each language is offered in its own words, whatever the language of the screen.
LANGUAGE_LABELS = {"uk": "🇺🇦 Українська", "en": "🇬🇧 English"}
# Step 1 is the language (kept in the dialog until consent); then one step per stored piece;
# a council with districts adds the district, optional, as the last step.
STEP_NUMBERS = {step: number for number, step in enumerate(ProfileStep, start=2)}
TOTAL_STEPS = 1 + len(STEP_NUMBERS)
DISTRICT_STEP = TOTAL_STEPS + 1
_ASK_KEYS = {
    ProfileStep.PHONE: "onboarding.phone_ask",
    ProfileStep.FULL_NAME: "onboarding.name_ask",
    ProfileStep.STREET: "onboarding.street_ask",
    ProfileStep.BUILDING: "onboarding.building_ask",
}


class Reply(StrEnum):
    YES = "yes"
    NO = "no"


class SettingsAction(StrEnum):
    """What a button of the settings screens does (not the language choice: it has a value)."""

    LANGUAGE = "language"  # the language form
    NAME = "name"  # the name question
    ADDRESS = "address"  # the street question, then the building
    DISTRICT = "district"  # the district form (a council with districts only)
    QUIET = "quiet"  # the quiet-hours form
    QUIET_OFF = "quiet_off"
    FORGET = "forget"  # the /forget question
    FORGET_YES = "forget_yes"
    BACK = "back"  # leave a form: the settings screen again
    CHANNELS = "channels"  # notifications: the messenger used last <-> every messenger


class Actions(Protocol):
    """The actions behind the profile's buttons, as the channel packs them."""

    def language(self, code: str) -> Action: ...

    def consent(self, reply: Reply) -> Action: ...

    def link(self, reply: Reply) -> Action: ...

    def settings(self, action: SettingsAction) -> Action: ...

    def settings_language(self, code: str) -> Action: ...

    def district(self, choice: int) -> Action: ...

    def settings_district(self, choice: int) -> Action: ...

    def district_page(self, page: int) -> Action: ...

    def settings_district_page(self, page: int) -> Action: ...

    def menu(self) -> Action: ...


def notice(tr: Texts, key: str, **params: Any) -> Screen:
    """One line of text, no buttons."""
    return Screen(tr(key, **params))


def again(tr: Texts, reason: str, question_key: str) -> Screen:
    """Why the answer was not taken, and the same question (a typed answer's step)."""
    return Screen(reason + "\n" + tr(question_key))


# ---- onboarding ------------------------------------------------------------------------------


def total_steps(rules: ProfileRules) -> int:
    return DISTRICT_STEP if rules.districts.enabled else TOTAL_STEPS


def _step(tr: Texts, number: int, rules: ProfileRules) -> str:
    return tr("onboarding.step", n=number, total=total_steps(rules))


def _language_buttons(action_for: Callable[[str], Action]) -> tuple[Button, ...]:
    return tuple(Button(LANGUAGE_LABELS[code], action_for(code)) for code in LANGUAGES)


def _language_question(tr: Texts, lead: str, rules: ProfileRules, actions: Actions) -> Screen:
    text = lead + "\n\n" + _step(tr, 1, rules) + "\n" + tr("onboarding.language_ask")
    return Screen(text, Keyboard().row(*_language_buttons(actions.language)).build())


def welcome(tr: Texts, rules: ProfileRules, actions: Actions) -> Screen:
    """A stranger's /start: who we are, and step 1, the language."""
    return _language_question(tr, tr("onboarding.welcome", city=rules.city_name), rules,
                              actions)


def language_again(tr: Texts, rules: ProfileRules, actions: Actions) -> Screen:
    return _language_question(tr, tr("onboarding.language_use_buttons"), rules, actions)


def _consent(tr: Texts, rules: ProfileRules, actions: Actions) -> Screen:
    text = _step(tr, STEP_NUMBERS[ProfileStep.CONSENT], rules) + "\n" + tr(
        "onboarding.consent_text", city=rules.city_name, days=rules.retention_days)
    rows = (Keyboard()
            .row(Button(tr("onboarding.consent_policy"), url=rules.privacy_policy_url))
            .row(Button(tr("onboarding.consent_yes"), actions.consent(Reply.YES)))
            .row(Button(tr("onboarding.consent_no"), actions.consent(Reply.NO)))
            .build())
    return Screen(text, rows)


def phone_request(tr: Texts, text: str) -> Screen:
    """A text with the one-tap "share my phone" keyboard under it."""
    return Screen(text, request=InputRequest(RequestKind.PHONE, tr("onboarding.phone_button")))


def question(tr: Texts, step: ProfileStep, rules: ProfileRules, actions: Actions) -> Screen:
    """The question of a missing piece, "step k of n" first.

    The consent replaces the pressed message; the typed answers' questions come as new
    messages (the name's takes the phone keyboard away).
    """
    if step is ProfileStep.CONSENT:
        return _consent(tr, rules, actions)
    text = _step(tr, STEP_NUMBERS[step], rules) + "\n" + tr(_ASK_KEYS[step])
    if step is ProfileStep.PHONE:
        return phone_request(tr, text)
    return Screen(text, remove_reply_keyboard=step is ProfileStep.FULL_NAME, new_message=True)


def _district_rows(tr: Texts, names: Sequence[str], action_for: Callable[[int], Action],
                   page_action: Callable[[int], Action], current: str | None = None,
                   page: int | None = None) -> Keyboard:
    """One button per district (choice k is the k-th name), two a row, a page at a time,
    then "don't know"."""
    return (choices_page(names, action_for, page_action, tr, page=page, current=current)
            .row(Button(tr("district.dont_know"), action_for(0))))


def district_question(tr: Texts, rules: ProfileRules, actions: Actions,
                      reason: str = "", page: int | None = None) -> Screen:
    """Onboarding's optional last step: the district, when the address did not tell it;
    `page` for a page turn (the question edited in place)."""
    text = _step(tr, DISTRICT_STEP, rules) + "\n" + tr("onboarding.district_ask")
    if reason:
        text = reason + "\n\n" + text
    rows = _district_rows(tr, rules.districts.names, actions.district, actions.district_page,
                          page=page)
    return Screen(text, rows.build(), new_message=not reason and page is None)


def district_answered(tr: Texts, district: str | None, *, derived: bool = False) -> Screen:
    """The district taken (from the address, or the button pressed), or "don't know"."""
    if district is None:
        return Screen(tr("onboarding.district_unknown"))
    key = "onboarding.district_derived" if derived else "onboarding.district_saved"
    return Screen(tr(key, district=district))


def consent_declined(tr: Texts, actions: Actions) -> Screen:
    return Screen(tr("onboarding.consent_declined"), Keyboard().menu(actions.menu(), tr).build())


def without_keyboard(tr: Texts, key: str) -> Screen:
    """A notice that also takes the phone keyboard away."""
    return Screen(tr(key), remove_reply_keyboard=True)


def link_question(tr: Texts, masked_phone: str, masked_name: str, channel: str,
                  actions: Actions) -> Screen:
    """The phone belongs to a profile already: is it yours? Only masked details are shown."""
    text = tr("link.ask", phone=masked_phone, name=masked_name,
              channel=tr(f"link.channel.{channel}"))
    rows = (Keyboard()
            .row(Button(tr("link.yes"), actions.link(Reply.YES)))
            .row(Button(tr("link.no"), actions.link(Reply.NO)))
            .build())
    return Screen(text, rows)


# ---- settings and /forget --------------------------------------------------------------------


def _settings_button(tr: Texts, key: str, action: SettingsAction, actions: Actions) -> Button:
    return Button(tr(key), actions.settings(action))


def settings_text(tr: Texts, resident: Resident, districts: Sequence[str] = ()) -> str:
    quiet = (
        tr("settings.quiet_value", start=f"{resident.quiet_from:02d}:00",
           end=f"{resident.quiet_to:02d}:00")
        if resident.quiet_from is not None and resident.quiet_to is not None
        else tr("settings.quiet_off")
    )
    return tr(
        "settings.title",
        language=tr(f"settings.language_name.{resident.language}"),
        name=resident.full_name or "—",
        address=resident.address or "—",
        phone=tr("settings.phone_verified" if resident.is_verified else "settings.phone_missing"),
        quiet=quiet,
    ) + (("\n" + tr("settings.district_value",
                     district=resident.district or tr("settings.district_none")))
         if districts else "")


def settings(tr: Texts, resident: Resident, actions: Actions, channels: int = 1, *,
             districts: Sequence[str] = ()) -> Screen:
    """The profile and its settings; `districts`: the council's (a "District" row then); a
    resident on several messengers (`channels`) also chooses where notifications go."""

    def button(key: str, action: SettingsAction) -> Button:
        return _settings_button(tr, key, action, actions)

    keyboard = (Keyboard()
                .row(button("settings.language", SettingsAction.LANGUAGE))
                .row(button("settings.edit_name", SettingsAction.NAME),
                     button("settings.edit_address", SettingsAction.ADDRESS))
                .row(button("settings.district", SettingsAction.DISTRICT) if districts else None)
                .row(button("settings.quiet_hours", SettingsAction.QUIET)))
    if channels > 1:
        keyboard.row(button("settings.notify_every" if resident.notify_every_channel
                            else "settings.notify_last", SettingsAction.CHANNELS))
    rows = keyboard.row(button("settings.forget", SettingsAction.FORGET)).menu(actions.menu(), tr)
    return Screen(settings_text(tr, resident, districts), rows.build())


def settings_district(tr: Texts, names: Sequence[str], current: str | None, actions: Actions,
                      reason: str = "", page: int | None = None) -> Screen:
    """The district form of the settings: the current one marked (its page shown first),
    "don't know", back."""
    text = tr("settings.district_ask")
    if reason:
        text = reason + "\n\n" + text
    rows = (_district_rows(tr, names, actions.settings_district,
                           actions.settings_district_page, current, page)
            .back(actions.settings(SettingsAction.BACK), tr)
            .build())
    return Screen(text, rows)


def settings_language(tr: Texts, actions: Actions) -> Screen:
    rows = (Keyboard()
            .row(*_language_buttons(actions.settings_language))
            .back(actions.settings(SettingsAction.BACK), tr)
            .build())
    return Screen(tr("settings.language_ask"), rows)


def edit_question(tr: Texts, question_key: str, actions: Actions) -> Screen:
    """A profile detail asked from the settings: the question, and cancel."""
    return Screen(tr(question_key),
                  Keyboard().cancel(actions.settings(SettingsAction.BACK), tr).build())


def quiet_hours(tr: Texts, actions: Actions) -> Screen:
    rows = (Keyboard()
            .row(_settings_button(tr, "settings.quiet_disable", SettingsAction.QUIET_OFF,
                                  actions))
            .cancel(actions.settings(SettingsAction.BACK), tr)
            .build())
    return Screen(tr("settings.quiet_ask"), rows)


def forget_question(tr: Texts, actions: Actions) -> Screen:
    rows = (Keyboard()
            .row(_settings_button(tr, "forget.confirm", SettingsAction.FORGET_YES, actions))
            .cancel(actions.settings(SettingsAction.BACK), tr)
            .build())
    return Screen(tr("forget.ask"), rows)
