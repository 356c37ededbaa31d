"""Column names of Annex 29 (roll-call votes) and Annex 30 (deputies) of Resolution 835,
with their Ukrainian titles and the misspellings seen on real portals.

A header cell matches a field by its name (any case, spaces, underscores), by a known
misspelling, by the Ukrainian title, or by a name at most two letters off for long names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.votes.normalize import clean_text


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    title: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Resource:
    name: str
    columns: tuple[Column, ...]
    must: tuple[str, ...]  # the fields that identify the resource


def _c(name: str, title: str, *aliases: str) -> Column:
    return Column(name, title, aliases)


_COUNTS = (
    _c("votingFor", "Голоси “За”", "for", "votesfor", "za"),
    _c("votingAgainst", "Голоси “Проти”", "vottingagains", "votingagains", "against"),
    _c("votingAbstain", "Голоси “Утрималися”", "abstain", "votingabstained"),
    _c("notVoting", "Не голосували", "notvoted"),
    _c("absent", "Відсутні"),
)
_TEXT_URL = _c("textUrl", "Посилання на документ оприлюднений в мережі Інтернет.", "texturi",
               "url")
_TEXT = _c("text", "Назва файлу із прийнятим рішенням", "tex", "textfile", "filename")

RESOURCES: tuple[Resource, ...] = (
    Resource("convocations", (
        _c("uid", "Унікальний ідентифікатор", "id"),
        _c("label", "Скликання", "convocation"),
        _c("dateFrom", "Дата початку скликання", "datestart", "startdate"),
        _c("dateUntil", "Дата завершення скликання", "dateto", "dateend", "enddate"),
        _c("authorityName", "Орган місцевого самоврядування", "authority"),
        _c("authorityId", "Код ЄДРПОУ", "edrpou"),
        _c("CATUTTC", "Код КАТОТТГ", "katottg", "catottg", "authoritycattutc"),
    ), ("uid", "label", "authorityName")),
    Resource("sessions", (
        _c("uid", "Унікальний ідентифікатор", "id"),
        _c("label", "Сесія", "session"),
        _c("convocationUid", "Ідентифікатор скликання", "convocationid"),
        _c("dateFrom", "Дата початку сесії", "datestart", "startdate"),
        _c("dateUntil", "Дата завершення сесії", "dateto", "dateend", "enddate"),
    ), ("uid", "label", "convocationUid")),
    Resource("motions", (
        _c("uid", "Унікальний ідентифікатор", "id"),
        _c("sessionUid", "Ідентифікатор сесії", "sessionid"),
        _c("votingIdentifier", "Ідентифікатор особи", "voterid"),
        _c("title", "Питання пленарного засідання", "name"),
        _c("number", "Номер питання", "num", "no"),
        _c("classification", "Категорія питання", "category"),
        _c("date", "Дата пленарного засідання", "data"),
        _c("sources", "URL-адреси", "source"),
    ), ("uid", "sessionUid", "title")),
    Resource("voteEvents", (
        _c("uid", "Унікальний ідентифікатор", "id"),
        _c("motionUid", "Ідентифікатор питання порядку денного", "motionid"),
        _c("projectNumber", "Номер проєкту рішення", "projectnum", "projektnum", "projectno"),
        _c("projectTitle", "Назва проєкту рішення", "projecttitel"),
        _c("startDate", "Час початку голосування", "start"),
        _c("endDate", "Час, коли голосування закінчується", "end"),
        _c("result", "Результати голосування", "votingresult"),
        *_COUNTS, _TEXT_URL, _TEXT,
    ), ("uid", "motionUid", "result")),
    Resource("vote", (
        _c("uid", "Унікальний ідентифікатор", "voteeventuid", "eventuid"),
        _c("voterUid", "Ідентифікатор учасника голосування", "voterid"),
        _c("result", "Результат голосування", "vote", "option"),
    ), ("uid", "voterUid", "result")),
    Resource("motions2", (
        _c("uid", "Унікальний ідентифікатор", "id"),
        _c("date", "Дата пленарного засідання", "data"),
        _c("authorityName", "Орган", "authority"),
        _c("authorityId", "Код ЄДРПОУ", "edrpou"),
        _c("authorityCattutc", "Код КАТОТТГ", "catuttc", "katottg", "authoritycatuttc"),
        _c("convocation", "Скликання"),
        _c("legislativeSession", "Сесія", "legistativesession", "session"),
        _c("number", "Номер питання", "num", "no"),
        _c("title", "Питання порядку денного пленарного засідання", "name"),
        _c("projectNumber", "Номер проєкту рішення", "projectnum", "projektnum", "projectno"),
        *_COUNTS,
        _c("votingResult", "Результати голосування", "result"),
        _TEXT_URL, _TEXT,
    ), ("uid", "title", "votingResult")),
    Resource("votings", (
        _c("motionUid", "Унікальний ідентифікатор", "motionid"),
        _c("voterId", "Ідентифікатор учасника голосування", "voteruid"),
        _c("voterName", "ПІБ учасника голосування", "name", "fullname"),
        _c("motionTitle", "Питання пленарного засідання", "title"),
        _c("result", "Результат голосування", "vote", "option"),
    ), ("motionUid", "result")),
    Resource("deputies", (
        _c("id", "Ідентифікатор", "uid"),
        _c("votingIdentifier", "Номер в системі голосування", "votingid"),
        _c("familyName", "Прізвище", "surname", "lastname"),
        _c("name", "Імʼя", "givenname", "firstname"),
        _c("additionalName", "По батькові", "patronymic", "middlename"),
        _c("gender", "Стать"),
        _c("birthDate", "Дата народження"),
        _c("image", "Фото", "photo"),
        _c("biography", "Біографічні дані"),
        _c("partyName", "Назва партії", "party"),
        _c("partyId", "Ідентифікатор партії"),
        _c("email", "Електронна пошта"),
        _c("telephone", "Номер телефону", "phone"),
        _c("homepage", "Веб-сторінка"),
        _c("account", "Соціальні медіа"),
        _c("factionName", "Назва фракції", "faction"),
        _c("factionPost", "Посада у фракції"),
        _c("commissionName", "Назва постійної комісії"),
        _c("commissionPost", "Посада у постійній комісії"),
        _c("areaId", "Виборчий округ", "district", "area"),
        _c("CATUTTC", "Код КАТОТТГ", "katottg"),
        _c("openingHours", "Графік прийому"),
        _c("availabilityRestriction", "Уточнення графіка прийому"),
    ), ("familyName", "name")),
)


def header_key(cell: object) -> str:
    """A column name reduced for comparison: casefolded, no spaces, `_`, `-`, dots, quotes."""
    text = clean_text(cell).replace("\ufeff", "").casefold()
    return re.sub(r"[\s_\-.\"'“”«»ʼ’]+", "", text)


def title_key(cell: object) -> str:
    """A Ukrainian column title reduced for comparison (quotes and final dots dropped)."""
    text = clean_text(cell).replace("\ufeff", "").casefold().replace("'", "ʼ").replace("’", "ʼ")
    return re.sub(r"[\"“”«»„]+", "", text).strip(" .:")


def _distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, giving up (returning limit + 1) once it exceeds `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def match_columns(resource: Resource, header: list[str]) -> dict[str, int]:
    """Which header cell holds which field of `resource` (field name -> column index)."""
    by_name: dict[str, str] = {}
    by_title: dict[str, str] = {}
    for column in resource.columns:
        by_name[header_key(column.name)] = column.name
        for alias in column.aliases:
            by_name.setdefault(header_key(alias), column.name)
        by_title.setdefault(title_key(column.title), column.name)
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = header_key(cell)
        name = by_name.get(key) or by_title.get(title_key(cell))
        if name is None and len(key) >= 8:
            close = [n for k, n in by_name.items() if len(k) >= 8 and _distance(key, k, 2) <= 2]
            if len(set(close)) == 1:
                name = close[0]
        if name is not None and name not in found:
            found[name] = index
    return found


def detect(header: list[str]) -> tuple[Resource, dict[str, int]] | None:
    """The resource a header belongs to: all its identifying fields present, most matched."""
    best: tuple[int, int, Resource, dict[str, int]] | None = None
    for resource in RESOURCES:
        found = match_columns(resource, header)
        if all(m in found for m in resource.must):
            score = (len(found), len(resource.must))
            if best is None or score > best[:2]:
                best = (*score, resource, found)
    return None if best is None else (best[2], best[3])


def is_title_row(resource: Resource, row: list[str]) -> bool:
    """A second header row of Ukrainian titles (as in the standard's example files)."""
    titles = {title_key(c.title) for c in resource.columns}
    cells = [title_key(c) for c in row if clean_text(c)]
    return bool(cells) and sum(c in titles for c in cells) * 2 > len(cells)
