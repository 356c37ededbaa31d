"""Districts: street folding, building ranges, the CSV table, and a resident's district."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings
from services.db import utcnow
from services.districts import residents as res_districts
from services.districts.rules import DistrictRules
from services.districts.streets import (
    Building,
    BuildingRange,
    Side,
    StreetKey,
    parse_building,
    parse_buildings,
    street_key,
)
from services.districts.table import TableError, parse_table
from services.errors import InvalidInput
from services.models import ChannelIdentity, Resident

ROOT = Path(__file__).resolve().parent.parent
NAMES = ("Центральний", "Північний", "Південний")

TABLE = """street,buildings,district
вул. Шевченка,1-49 odd,Центральний
вул. Шевченка,2-50 even,Північний
вул. Шевченка,51-,Південний
вул. Шевченка,12А,Центральний
пров. Шевченка,,Північний
просп. Миру,,Центральний
вул. Лесі Українки,"1-20; 22, 24",Північний
вул. Лесі Українки,21-,південний
"""


@pytest.mark.parametrize("typed", [
    "вул. Шевченка", "вулиця  Шевченка", "Шевченка вул.", "ВУЛ.ШЕВЧЕНКА", "вул Шевченка",
    "ул. Шевченка", "Street Шевченка", "вул. «Шевченка»",
])
def test_street_spellings_fold_to_one_key(typed: str):
    assert street_key(typed) == StreetKey("вул", "шевченка")


def test_street_types_apostrophes_and_homoglyphs():
    assert street_key("пров. Шевченка") == StreetKey("пров", "шевченка")
    assert street_key("проспект Миру") == street_key("просп. Миру") == StreetKey("просп", "миру")
    # Latin "i" and "M" typed inside a Cyrillic word, and every apostrophe.
    assert street_key("вул. Mирна") == street_key("вул. Мирна")
    assert street_key("вул. Нiжинська") == street_key("вул. Ніжинська")
    assert (street_key("вул. Вʼячеслава") == street_key("вул. В'ячеслава")
            == street_key("вул. В’ячеслава") == street_key("вул. В`ячеслава"))
    assert street_key("Шевченка") == StreetKey(None, "шевченка")
    # A one-word street that is itself a type word stays a street name.
    assert street_key("Майдан") == StreetKey(None, "майдан")


@pytest.mark.parametrize(("typed", "expected"), [
    ("12", Building(12)), ("12А", Building(12, "а")), ("12-а", Building(12, "а")),
    ("12 a", Building(12, "а")), ("12/1", Building(12, "1")), ("буд. 7", Building(7)),
    ("", None), ("двадцять", None), (None, None),
])
def test_building_numbers(typed: str | None, expected: Building | None):
    assert parse_building(typed) == expected


def test_building_ranges_and_sides():
    singles, ranges = parse_buildings("1-49 odd; 2-50 парні, 51-, 12А")
    assert singles == (Building(12, "а"),)
    assert ranges == (BuildingRange(1, 49, Side.ODD), BuildingRange(2, 50, Side.EVEN),
                      BuildingRange(51, None))
    odd, even, rest = ranges
    assert odd.covers(Building(7)) and not odd.covers(Building(8))
    assert even.covers(Building(12, "а")) and not even.covers(Building(51))
    assert rest.covers(Building(400)) and not rest.covers(Building(50))
    assert not odd.overlaps(even)  # opposite sides of the street
    assert BuildingRange(1, 20).overlaps(BuildingRange(20, None))
    assert not BuildingRange(1, 20).overlaps(BuildingRange(21, 30))
    for bad in ("20-10", "1-9 left", "корпус"):
        with pytest.raises(ValueError):
            parse_buildings(bad)
    assert parse_buildings("") == ((), ())


def test_table_derives_districts():
    table = parse_table(TABLE, NAMES)
    assert len(table) == 8
    d = table.district_for
    assert d("вул. Шевченка", "7") == "Центральний"
    assert d("вулиця шевченка", "8") == "Північний"
    assert d("Шевченка вул.", "12А") == "Центральний"  # the single building beats the range
    assert d("вул. Шевченка", "12Б") == "Північний"  # only 12А is the exception
    assert d("вул. Шевченка", "51") == "Південний"
    assert d("вул. Шевченка", None) is None  # no whole-street row: the house decides
    assert d("пров. Шевченка", "3") == "Північний"
    assert d("Шевченка", "7") is None  # a вулиця and a провулок: unsure, so ask
    assert d("Миру", "100") == "Центральний"  # the type left out, one street of that name
    assert d("просп. Миру", None) == "Центральний"
    assert d("вул. Лесі Українки", "22") == "Північний"
    assert d("вул. Лесі Українки", "23") == "Південний"  # district matched ignoring case
    assert d("вул. Невідома", "1") is None
    assert d(None, "1") is None and d("", "1") is None


CLASH = "t.csv:3: the same houses are already in 'Центральний' (line 2)"


def test_table_refuses_bad_lines_naming_them():
    cases = {
        "street,buildings,district\nвул. Миру,,Східний\n": "t.csv:2: 'Східний'",
        "вулиця,будинки,район\n": "first row",
        "street,buildings,district\nвул. Миру,20-10,Центральний\n": "ends before",
        "street,buildings,district\n,,Центральний\n": "street is empty",
        "street,buildings,district\nвул. Миру,1-10\n": "three cells",
        # The same houses in two districts: whole street twice, a range overlap, one house.
        "street,buildings,district\nМиру,,Центральний\nвул. Миру,,Північний\n": CLASH,
        "street,buildings,district\nМиру,1-10,Центральний\nМиру,10-20,Північний\n": CLASH,
        "street,buildings,district\nМиру,5А,Центральний\nМиру,5а,Північний\n": CLASH,
    }
    for text, hint in cases.items():
        with pytest.raises(TableError) as err:
            parse_table(text, NAMES, where="t.csv")
        assert "t.csv:" in str(err.value) and hint in str(err.value), text
    # Opposite sides, and ranges of one district, are not clashes; ';' separated files work.
    ok = "# comment\nstreet;buildings;district\nМиру;1-9 odd;Центральний\nМиру;2-8 even;Північний\n"
    assert parse_table(ok, NAMES).district_for("Миру", "4") == "Північний"


def test_rules_from_settings_and_the_sample_file(tmp_path: Path):
    sample = ROOT / "docs" / "districts.sample.csv"
    rules = DistrictRules.from_values(["Центральний", " Північний ", "Південний"], sample)
    assert rules.names == NAMES and rules.enabled
    assert rules.derive("бульв. Сагайдачного", "5") == "Південний"
    assert rules.canonical("  північний ") == "Північний"
    assert rules.canonical("Східний") is None
    assert not DistrictRules().enabled and DistrictRules().derive("Миру", "1") is None
    with pytest.raises(ValueError, match="twice"):
        DistrictRules.from_values(["Центр", "центр"])
    with pytest.raises(ValueError, match="DISTRICTS is empty"):
        DistrictRules.from_values([], sample)
    with pytest.raises(ValueError, match="cannot read"):
        DistrictRules.from_values(NAMES, tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("street,buildings,district\nМиру,,Східний\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"bad\.csv:2"):
        Settings(_env_file=None, districts=",".join(NAMES), districts_table=str(bad))
    settings = Settings(_env_file=None, districts="Центральний, Північний,Південний",
                        districts_table=str(sample))
    assert settings.district_rules().names == NAMES


async def _resident(session, n: int, *, district: str | None = None, active: bool = True,
                    street: str = "вул. Шевченка", building: str = "7") -> Resident:
    resident = Resident(language="uk", consent_at=utcnow(), phone=f"+380{n:09d}",
                        phone_verified_at=utcnow(), full_name=f"Мешканець Номер{n}",
                        street=street, building=building, district=district,
                        is_active=active, notifications_enabled=True)
    resident.identities = [ChannelIdentity(channel="telegram", external_id=str(n),
                                           chat_id=str(n))]
    session.add(resident)
    await session.flush()
    return resident


async def test_asked_once_then_chosen_or_dont_know(session):
    rules = DistrictRules.from_values(NAMES)
    resident = await _resident(session, 1)
    assert res_districts.needs_asking(rules, resident)
    assert not res_districts.needs_asking(DistrictRules(), resident)  # a city without districts
    with pytest.raises(InvalidInput) as err:
        await res_districts.set_district(session, rules, resident, "Східний")
    assert err.value.message_key == "districts.error.unknown"
    assert resident.district is None and resident.district_asked_at is None
    assert await res_districts.set_district(session, rules, resident, None) is None
    assert not res_districts.needs_asking(rules, resident)  # "don't know" is an answer
    assert await res_districts.set_district(session, rules, resident, "південний") == "Південний"
    await session.commit()
    assert await res_districts.district_of(session, resident.id) == "Південний"


async def test_district_follows_the_address(session, tmp_path: Path):
    path = tmp_path / "t.csv"
    path.write_text(TABLE, encoding="utf-8")
    rules = DistrictRules.from_values(NAMES, path)
    resident = await _resident(session, 1, street="вул. Невідома", building="1")
    await res_districts.set_district(session, rules, resident, "Південний")
    # Same address typed differently: the resident's choice stays.
    resident.street, resident.building = "Невідома вулиця", "1"
    assert await res_districts.address_changed(session, rules, resident, "вул. Невідома",
                                               "1") == "Південний"
    # Moved to a covered address: derived.
    resident.street, resident.building = "вул. Шевченка", "8"
    assert await res_districts.address_changed(session, rules, resident, "Невідома вулиця",
                                               "1") == "Північний"
    # Moved again, to an address the table does not cover: unknown, and asked anew.
    resident.street, resident.building = "вул. Садова", "3"
    assert await res_districts.address_changed(session, rules, resident, "вул. Шевченка",
                                               "8") is None
    assert res_districts.needs_asking(rules, resident)


async def test_audience_of_districts(session):
    a = await _resident(session, 1, district="Центральний")
    b = await _resident(session, 2, district="Північний")
    unknown = await _resident(session, 3)
    await _resident(session, 4, district="Центральний", active=False)
    await session.commit()
    assert await res_districts.residents_in(session, ["Центральний"]) == [a.id]
    assert await res_districts.residents_in(session, ["Центральний", "Північний"]) == [a.id, b.id]
    assert await res_districts.residents_in(session, ["Північний"], include_unknown=True) == [
        b.id, unknown.id]
    assert await res_districts.residents_in(session, []) == []
