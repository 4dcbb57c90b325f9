"""Wording of official documents (Nghị định 30/2020/NĐ-CP style).

Documents are Vietnamese legal text whatever the reader's UI language, so the words here are
data, written in Vietnamese (NFC), not translated UI strings.
"""

from collections.abc import Iterable

from antt.text import nfc
from certification.models.criteria import UnitKind
from units.models import Unit

Kind = Unit.Kind

# Order in annexes, tables and sentences: communes first, then residential areas, institutions.
KIND_ORDER = {
    Kind.COMMUNE: 0,
    Kind.RESIDENTIAL_AREA: 1,
    Kind.AGENCY: 2,
    Kind.ENTERPRISE: 3,
    Kind.SCHOOL: 4,
}
KIND_LABELS = {
    Kind.PROVINCE: "Tỉnh, thành phố",
    Kind.DISTRICT: "Huyện",
    Kind.COMMUNE: "Xã, phường, đặc khu",
    Kind.RESIDENTIAL_AREA: "Khu dân cư",
    Kind.AGENCY: "Cơ quan",
    Kind.ENTERPRISE: "Doanh nghiệp",
    Kind.SCHOOL: "Cơ sở giáo dục",
}
DEFAULT_LABELS = {Kind.PROVINCE: "Tỉnh", Kind.DISTRICT: "Huyện", Kind.COMMUNE: "Xã"}

# The four groups of TT 124 Art. 4-7 (a unit's group is ``UnitKind.for_unit(unit.kind)``), in the
# order provinces name them in their reports.
GROUPS = (UnitKind.COMMUNE, UnitKind.RESIDENTIAL_AREA, UnitKind.AGENCY_ENTERPRISE, UnitKind.SCHOOL)
GROUP_TITLES = {
    UnitKind.COMMUNE: "Xã, phường, đặc khu",
    UnitKind.RESIDENTIAL_AREA: "Khu dân cư",
    UnitKind.AGENCY_ENTERPRISE: "Cơ quan, doanh nghiệp",
    UnitKind.SCHOOL: "Cơ sở giáo dục",
}
# "16 xã, phường, 158 khu dân cư, 12 cơ quan, doanh nghiệp và 63 nhà trường được công nhận"
GROUP_NOUNS = {
    UnitKind.COMMUNE: "xã, phường",
    UnitKind.RESIDENTIAL_AREA: "khu dân cư",
    UnitKind.AGENCY_ENTERPRISE: "cơ quan, doanh nghiệp",
    UnitKind.SCHOOL: "nhà trường",
}
# The same groups in a decision's title and Article 1: "25 khu dân cư và 2 cơ sở giáo dục".
DECISION_NOUNS = {**GROUP_NOUNS, UnitKind.SCHOOL: "cơ sở giáo dục"}


def label_of(unit: Unit) -> str:
    return unit.label or DEFAULT_LABELS.get(unit.kind, "")


def place_name(unit: Unit, *, capital: bool = False) -> str:
    """'phường Vũng Áng', 'tỉnh Hà Tĩnh' (inside a sentence) or 'Phường Vũng Áng' (capital)."""
    label = label_of(unit)
    if not label or unit.name.lower().startswith(label.lower()):
        return nfc(unit.name)
    label = label[0].upper() + label[1:] if capital else label[0].lower() + label[1:]
    return nfc(f"{label} {unit.name}")


def committee(unit: Unit) -> str:
    """'Ủy ban nhân dân phường Vũng Áng'."""
    return f"Ủy ban nhân dân {place_name(unit)}"


def chairman(unit: Unit) -> str:
    """'Chủ tịch Ủy ban nhân dân phường Vũng Áng'."""
    return f"Chủ tịch {committee(unit)}"


def issuer_header(unit: Unit) -> list[str]:
    """The issuing body block, upper case: ['ỦY BAN NHÂN DÂN', 'PHƯỜNG VŨNG ÁNG']."""
    return ["ỦY BAN NHÂN DÂN", place_name(unit, capital=True).upper()]


def police(unit: Unit) -> str:
    """Head of the police of the issuing level: 'Trưởng Công an phường Vũng Áng'."""
    if unit.kind == Kind.PROVINCE:
        return f"Giám đốc Công an {place_name(unit)}"
    return f"Trưởng Công an {place_name(unit)}"


def office(unit: Unit) -> str:
    if unit.kind == Kind.PROVINCE:
        return f"Chánh Văn phòng Ủy ban nhân dân {place_name(unit)}"
    return f"Chánh Văn phòng Hội đồng nhân dân và Ủy ban nhân dân {place_name(unit)}"


def number(value: int) -> str:
    """'1.554' (Vietnamese thousands separator)."""
    return f"{value:,}".replace(",", ".")


def join(parts: Iterable[str]) -> str:
    """'a, b và c'."""
    items = [p for p in parts if p]
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " và " + items[-1]


def recognized_sentence(counts: dict[str, int], *, verb: str = "được công nhận") -> str:
    """'16 xã, phường, 158 khu dân cư, 12 cơ quan, doanh nghiệp và 63 nhà trường được công nhận'."""
    parts = [f"{number(counts[g])} {GROUP_NOUNS[g]}" for g in GROUPS if counts.get(g)]
    if not parts:
        return f"Chưa có đơn vị nào {verb}"
    return f"{join(parts)} {verb}"


def kinds_phrase(kinds: Iterable[str]) -> str:
    """The subjects of a decision's title: 'khu dân cư, cơ quan, doanh nghiệp, cơ sở giáo dục'."""
    groups = {UnitKind.for_unit(k) for k in kinds}
    return ", ".join(DECISION_NOUNS[g] for g in GROUPS if g in groups) or "đơn vị"


def counted_phrase(kind_counts: dict[str, int]) -> str:
    """'25 khu dân cư và 2 cơ sở giáo dục' for Article 1."""
    by_group: dict[str, int] = {}
    for kind, n in kind_counts.items():
        group = UnitKind.for_unit(kind)
        if group:
            by_group[group] = by_group.get(group, 0) + n
    return join(f"{number(by_group[g])} {DECISION_NOUNS[g]}" for g in GROUPS if by_group.get(g)) or "0 đơn vị"


def _signs_as_committee(signed_for: str) -> bool:
    return (signed_for or "").strip().upper().startswith("TM")


def _signs_as_deputy(signed_for: str, signer_title: str) -> bool:
    return (signed_for or "").strip().upper().startswith("KT") or (
        signer_title or ""
    ).strip().upper().startswith("PHÓ")


def signer_lines(*, signed_for: str, signer_title: str) -> list[str]:
    """The signature block above the name (NĐ 30/2020 Phụ lục I), agreeing with :func:`authority`:

    * the committee's decision (``TM.``): 'TM. ỦY BAN NHÂN DÂN' / 'CHỦ TỊCH', or with a
      vice-chairman signing 'TM. ỦY BAN NHÂN DÂN' / 'KT. CHỦ TỊCH' / 'PHÓ CHỦ TỊCH';
    * the chairman's own decision (no ``TM.``): 'CHỦ TỊCH', or 'KT. CHỦ TỊCH' / 'PHÓ CHỦ TỊCH'.

    A vice-chairman signs ``KT.`` whether ``signed_for`` says so or only the title ('Phó Chủ tịch').
    """
    title = nfc((signer_title or "").strip().upper())
    lines = ["TM. ỦY BAN NHÂN DÂN"] if _signs_as_committee(signed_for) else []
    if _signs_as_deputy(signed_for, signer_title):
        return [*lines, "KT. CHỦ TỊCH", title if title.startswith("PHÓ") else "PHÓ CHỦ TỊCH"]
    return [*lines, title or "CHỦ TỊCH"]


def authority(unit: Unit, *, signed_for: str) -> str:
    """Who issues the decision, as in its authority line and in 'Quyết định số … của …': the
    committee ('Ủy ban nhân dân phường Vũng Áng') when it is signed ``TM.``, else its chairman
    ('Chủ tịch Ủy ban nhân dân phường Vũng Áng', TT 124 Art. 9). Always the same as the
    signature block (:func:`signer_lines`)."""
    return committee(unit) if _signs_as_committee(signed_for) else chairman(unit)
