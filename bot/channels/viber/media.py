"""The media store (bot/channels/media.py), under the name the Viber package has used."""

from bot.channels.media import PICTURE_EXTENSIONS, REF_PREFIX, ROUTE, MediaStore, Stored, safe_name

__all__ = ["PICTURE_EXTENSIONS", "REF_PREFIX", "ROUTE", "MediaStore", "Stored", "safe_name"]
