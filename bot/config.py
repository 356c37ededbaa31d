"""Settings read from the environment and `.env` (see `.env.example`)."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from services.districts.rules import DistrictRules
from services.timeutil import parse_zone

TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Every knob a council admin may turn; defaults run a small city on one machine."""

    # An empty `KEY=` (as .env.example has them) means "use the default".
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      env_ignore_empty=True)

    # Needed only by the commands that talk to Telegram (`run`, `web`), not `migrate`/`admin`.
    bot_token: SecretStr | None = None
    telegram_api_base: str | None = None
    bot_username: str | None = None

    database_url: str = "sqlite+aiosqlite:///data/hromada.db"
    redis_url: str | None = None

    webhook_url: str | None = None
    webhook_path: str = "/telegram/webhook"
    webhook_secret: SecretStr | None = None
    web_host: str = "0.0.0.0"
    web_port: int = 8080

    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    default_language: str = "uk"
    # The council's IANA zone: every date shown, every "today" and every deadline uses it.
    timezone: str = "Europe/Kyiv"
    # Days off beyond weekends and the Ukrainian calendar's (e.g. one the Cabinet declares).
    extra_days_off: Annotated[list[date], NoDecode] = Field(default_factory=list)
    privacy_policy_url: str = "https://example.org/privacy"
    city_name: str = "Hromada"

    scheduler_enabled: bool = True
    scheduler_tick_seconds: float = 5.0
    delivery_enabled: bool = True
    delivery_rate_per_second: float = 25.0
    delivery_per_chat_interval: float = 1.0
    delivery_max_attempts: int = 5
    allow_paid_broadcast: bool = False

    # Updates handled at once in polling mode, and Viber callbacks taken in one batch:
    # enough to overlap network waits, few enough that a rush is served in order and
    # memory stays flat.
    polling_concurrency: int = 32

    throttle_rate: float = 1.0
    throttle_burst: int = 8

    name_max_length: int = 120
    address_max_length: int = 200

    # --- personal data ---
    # Key of the phone hashes kept after /forget (one phone number, one signature). Unset: a
    # random key is made once and kept in the database (table app_secrets).
    phone_hash_secret: SecretStr | None = None
    # Days a finished outbox row (a copy of a message the bot sent) is kept before deletion.
    outbox_retention_days: int = Field(default=30, ge=1)

    log_level: str = "INFO"

    # --- e-petitions (owned by the petitions feature) ---
    petition_threshold: int = 250
    petition_period_days: int = 90
    petition_title_min: int = 10
    petition_title_max: int = 200
    petition_text_min: int = 30
    petition_text_max: int = 3000
    petition_answer_max: int = 3500
    petition_max_pending_per_author: int = 2
    petition_moderation_working_days: int = 2
    petition_answer_working_days: int = 10
    petition_categories: Annotated[list[str], NoDecode] = Field(default_factory=list)
    council_channel_id: int | None = None

    # --- appeals (owned by the appeals feature) ---
    appeal_categories: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: [
            "roads", "utilities", "transport", "social", "safety", "ecology", "other"
        ]
    )
    appeal_departments: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: [
            "housing", "roads", "transport", "social", "ecology", "general"
        ]
    )
    appeal_text_max: int = 4000
    appeal_max_attachments: int = 3
    appeal_max_file_mb: int = 10
    appeal_answer_days: int = 30
    appeal_simple_days: int = 15
    appeal_max_days: int = 45
    appeal_followup_days: int = 28
    appeal_due_soon_days: int = 3
    city_bbox: str = "48.80,37.50,48.93,37.70"

    # --- subscriptions, events and broadcasts (owned by the broadcasts feature) ---
    announcement_max: int = 3500
    event_reminder_hours: int = 24

    # --- districts (owned by the districts feature) ---
    # The council's districts, in the order residents see them; empty: no districts.
    districts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # CSV of streets (and building ranges) to districts: docs/districts.sample.csv.
    districts_table: str | None = None

    # --- Viber (owned by bot/channels/viber) ---
    # The bot's token ("app key" in the Viber admin panel); unset = no Viber channel.
    viber_token: SecretStr | None = None
    viber_api_base: str = "https://chatapi.viber.com/pa"
    # The sender name on every message (Viber allows at most 28 characters) and its avatar
    # (VIBER_AVATAR_URL, the older name, still works).
    viber_bot_name: str = Field(default="Hromada", min_length=1, max_length=28)
    viber_bot_avatar: str | None = Field(
        default=None, validation_alias=AliasChoices("viber_bot_avatar", "viber_avatar_url"))
    # Public HTTPS base Viber posts callbacks to (+ VIBER_WEBHOOK_PATH); unset: PUBLIC_BASE_URL.
    viber_webhook_url: str | None = None
    viber_webhook_path: str = "/viber/webhook"
    # Messages per second the Viber outbox sender keeps to (all processes together).
    viber_rate_per_second: float = Field(default=20.0, gt=0)
    # Public HTTPS base of the web app for the media links Viber fetches (unset: the webhook's).
    public_base_url: str | None = None
    # Where pictures and files sent to or received from residents are kept.
    media_dir: str = "data/media"
    # Days a media link handed to a messenger stays valid.
    media_url_ttl_days: int = Field(default=14, ge=1)

    # --- council votes (owned by the votes feature) ---
    votes_max_file_mb: int = 20
    votes_max_unpacked_mb: int = 200
    votes_max_zip_members: int = 5000

    @field_validator("bot_token")
    @classmethod
    def _token_format(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        if not TOKEN_RE.match(value.get_secret_value().strip()):
            raise ValueError("BOT_TOKEN does not look like a token from @BotFather (digits:secret)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator(
        "admin_ids", "petition_categories", "extra_days_off", "appeal_categories",
        "appeal_departments", "districts", mode="before",
    )
    @classmethod
    def _admin_csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        parse_zone(value)  # a ValueError names the bad value
        return value.strip()

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("uk", "en"):
            raise ValueError("DEFAULT_LANGUAGE must be uk or en")
        return value

    @model_validator(mode="after")
    def _districts_load(self) -> Settings:
        self.district_rules()  # a bad DISTRICTS_TABLE stops the start, naming file and line
        return self

    def district_rules(self) -> DistrictRules:
        return DistrictRules.from_values(self.districts, self.districts_table)

    @property
    def viber_public_base(self) -> str | None:
        """Where Viber reaches this web app: the webhook's base, else PUBLIC_BASE_URL."""
        base = self.viber_webhook_url or self.public_base_url
        return base.rstrip("/") if base else None

    @property
    def media_base_url(self) -> str | None:
        """The base of the media links messengers fetch: PUBLIC_BASE_URL, else the webhook's."""
        base = self.public_base_url or self.viber_webhook_url
        return base.rstrip("/") if base else None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def ensure_data_dir(self) -> None:
        """Create the folder of a SQLite file so a fresh checkout just runs."""
        if self.is_sqlite and ":memory:" not in self.database_url:
            path = self.database_url.split("///", 1)[-1]
            Path(path).parent.mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
