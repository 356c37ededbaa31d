"""Names of types, categories, departments and statuses in the reader's language."""

from __future__ import annotations

from services.i18n import Texts


def _label(tr: Texts, key: str, fallback: str) -> str:
    text = tr(key)
    return fallback if text == key else text


def category_label(tr: Texts, category: str) -> str:
    return _label(tr, f"appeals.category.{category}", category)


def department_label(tr: Texts, department: str) -> str:
    return _label(tr, f"appeals.department.{department}", department)


def status_label(tr: Texts, status: str) -> str:
    return _label(tr, f"appeals.status.{status}", status)


def type_label(tr: Texts, kind: str) -> str:
    return _label(tr, f"appeals.type.{kind}", kind)
