"""The scoring engine: pure functions, no ORM, no I/O (``certification.scoring.results`` feeds it).

A unit's answers and its pinned criteria set go in (``UnitInputs``); a ``UnitScore`` comes out:
the outcome (đạt / chưa đạt / không thuộc đối tượng / chưa đủ dữ liệu), the codes not met, the
codes not answered, points and grade when the set carries a score sheet, and an explanation in
Vietnamese that a district officer can read aloud. The rules, precisely (docs/scoring.md):

* **Eligibility first.** An ineligible unit (TT 124 Art. 1(2)(b)) is ``not_eligible`` whatever
  its answers say, and never counts in a roll-up.
* **Every scored item must be met** (Art. 4-7, "đạt đủ các tiêu chí"): every item that is not
  a group, the derived XA-4 included. The effective answer is the
  appraised one when there is one, else the self-assessment. "Không áp dụng" (N/A) counts as
  met only where the criterion allows it; elsewhere it counts as *not met* (the law requires the
  item, so claiming it does not apply cannot pass it). A group passes when all its sub-items do.
* **Outcome.** Any scored item not met → ``fail`` (even if others are still unanswered: more
  answers cannot repair it); else any scored item unanswered → ``pending``; else ``pass``.
* **count_threshold (KDC-1)**: the unit must be registered, and registered households × 100 ≥
  threshold × households (exact integers). When the household figures are known they decide;
  the officer's explicit "not met" still fails it (the criterion also needs the Party-cell
  resolution). Without figures the officer's answer decides.
* **comparison (KDC-4a)**: when this year's and last year's figure of at least one of crimes,
  social-evil cases and other violations are both known, the engine *suggests* "met" if none of
  the comparable figures increased, else "not met". The suggestion applies when the officer left
  the item empty or agreed. An officer's answer that contradicts the suggestion wins only if it
  carries a note (the justification, quoted in the explanation); without a note the suggestion
  stands and the explanation says why. With no comparable figures the officer's answer decides.
* **derived (XA-4)**: from :func:`rollup_xa4` (100 % of the eligible units under the commune's
  authority registered AND recognized × 100 ≥ threshold × total, integers only).
* **Self-management models (XA-1, CQDN-1, CSGD-1)**: with ``effective_model`` False (the register
  is in use and no model of the unit is rated effective that year) "met" counts only with a note,
  else not met: "XA-1: chưa có mô hình được đánh giá hiệu quả trong năm". None (register not in
  use) leaves the answer alone.
* **Decisions win.** Once the unit's assessment is decided (recognized / not recognized /
  revoked) the outcome is the decision's and ``is_forecast`` is False; the computed result is
  still explained. Before that every outcome is a forecast.
* **Points** (only with a score sheet): per item the appraised points win over the self-score,
  clamped to 0..max. With no points entered the item scores its maximum when its criterion is
  met or N/A, and when not met the maximum minus ``deduction`` × incidents (the answer's figure,
  at least 1) if the item has a deduction, else 0. An unanswered item leaves the total unknown.
  The total is capped at the sheet's total. Grade = highest band whose minimum the total reaches.
  A knock-out item not met caps the grade at the lowest band; a unit whose outcome is "chưa đạt"
  cannot get the top band (capped one band lower). No grade while the outcome is pending.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

ENGINE_VERSION = 1  # part of every input hash: bump when a rule changes so everything rescores

PASS, FAIL, NOT_ELIGIBLE, PENDING = "pass", "fail", "not_eligible", "pending"
MET, NOT_MET, NA, MISSING = "met", "not_met", "na", ""
BOOLEAN, COUNT_THRESHOLD, COMPARISON, DERIVED, GROUP = (
    "boolean",
    "count_threshold",
    "comparison",
    "derived",
    "group",
)
RECOGNIZED, NOT_RECOGNIZED, REVOKED = "recognized", "not_recognized", "revoked"
DECIDED = (RECOGNIZED, NOT_RECOGNIZED, REVOKED)
RESIDENTIAL_AREA = "residential_area"
BASE_ALL, BASE_RESIDENTIAL = "all", "residential"
# XA-4's share of recognized units (%) when the criteria set does not say otherwise.
DEFAULT_THRESHOLD = 70

OUTCOME_LABELS = {PASS: "Đạt", FAIL: "Chưa đạt", NOT_ELIGIBLE: "Không thuộc đối tượng", PENDING: "Chưa đạt"}
GRADE_LABELS = {"excellent": "Xuất sắc", "good": "Khá", "average": "Trung bình", "weak": "Yếu"}
DECISION_SENTENCES = {
    RECOGNIZED: "Đã có quyết định công nhận",
    NOT_RECOGNIZED: "Đã có quyết định không công nhận",
    REVOKED: "Đã bị thu hồi công nhận",
}
FIGURE_NAMES = (
    ("crime", "tội phạm"),
    ("social_evil", "tệ nạn xã hội"),
    ("violation", "vi phạm pháp luật khác"),
)
NOTE_QUOTE_CHARS = 120
# "ít nhất 01 mô hình phong trào toàn dân bảo vệ an ninh Tổ quốc hoạt động hiệu quả": the
# criteria that need an effective self-management model (UnitInputs.effective_model).
MODEL_CRITERIA = frozenset({"XA-1", "CQDN-1", "CSGD-1"})
NO_EFFECTIVE_MODEL = "chưa có mô hình được đánh giá hiệu quả trong năm"


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CriterionSpec:
    code: str
    answer_type: str = BOOLEAN
    parent: str = ""  # the parent's code, "" at the top
    na_allowed: bool = False
    threshold_percent: int | None = None


@dataclass(frozen=True, slots=True)
class ScoreItemSpec:
    code: str
    max_points: Decimal
    deduction: Decimal | None = None
    is_knockout: bool = False


@dataclass(frozen=True, slots=True)
class SheetSpec:
    total_points: Decimal
    items: tuple[ScoreItemSpec, ...]
    bands: tuple[tuple[str, Decimal], ...]  # (grade, minimum points), any order


@dataclass(frozen=True, slots=True)
class CriteriaPlan:
    """A criteria set compiled once and shared by every unit that uses it."""

    criteria: tuple[CriterionSpec, ...]
    by_code: Mapping[str, CriterionSpec]
    children: Mapping[str, tuple[str, ...]]
    roots: tuple[str, ...]
    scored_items: tuple[str, ...]  # codes of every item that is not a group (derived ones too)
    post_order: tuple[CriterionSpec, ...] = ()  # every item after its sub-items
    sheet: SheetSpec | None = None
    rollup_base: str = BASE_ALL
    rollup_threshold_percent: int = DEFAULT_THRESHOLD


def compile_plan(
    criteria: Sequence[CriterionSpec],
    *,
    sheet: SheetSpec | None = None,
    rollup_base: str = BASE_ALL,
    rollup_threshold_percent: int = DEFAULT_THRESHOLD,
) -> CriteriaPlan:
    """``criteria`` in display order; parents are referred to by code."""
    by_code = {c.code: c for c in criteria}
    children: dict[str, list[str]] = {}
    roots = []
    for c in criteria:
        if c.parent and c.parent in by_code:
            children.setdefault(c.parent, []).append(c.code)
        else:
            roots.append(c.code)
    scored_items = tuple(c.code for c in criteria if c.answer_type != GROUP)
    post_order: list[CriterionSpec] = []

    def walk(code: str) -> None:
        for child in children.get(code, ()):
            walk(child)
        post_order.append(by_code[code])

    for root in roots:
        walk(root)
    return CriteriaPlan(
        criteria=tuple(criteria),
        by_code=MappingProxyType(by_code),
        children=MappingProxyType({k: tuple(v) for k, v in children.items()}),
        roots=tuple(roots),
        scored_items=scored_items,
        post_order=tuple(post_order),
        sheet=sheet,
        rollup_base=rollup_base,
        rollup_threshold_percent=rollup_threshold_percent,
    )


@dataclass(frozen=True, slots=True)
class AnswerInput:
    value: str = ""  # the effective answer: met | not_met | na | ""
    number: int | None = None
    note: str = ""
    self_points: Decimal | None = None
    appraised_points: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Figures:
    """Counts for KDC-4a; None = not entered."""

    crime: int | None = None
    social_evil: int | None = None
    violation: int | None = None


@dataclass(frozen=True, slots=True)
class ChildState:
    """A unit under a commune's authority, as XA-4 sees it."""

    kind: str
    is_eligible: bool = True
    registered: bool = False
    decision: str = ""  # "" while undecided, else recognized | not_recognized | revoked
    computed_outcome: str = PENDING


@dataclass(frozen=True, slots=True)
class Xa4Rollup:
    met: bool
    total: int
    registered: int
    recognized: int
    required: int
    undecided: int
    threshold_percent: int
    base: str
    by_kind: Mapping[str, Mapping[str, int]]
    explanation: str

    @property
    def is_forecast(self) -> bool:
        return self.undecided > 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "met": self.met,
            "total": self.total,
            "registered": self.registered,
            "recognized": self.recognized,
            "required": self.required,
            "undecided": self.undecided,
            "is_forecast": self.is_forecast,
            "threshold_percent": self.threshold_percent,
            "base": self.base,
            "by_kind": {k: dict(v) for k, v in sorted(self.by_kind.items())},
            "explanation": self.explanation,
        }


@dataclass(frozen=True, slots=True)
class UnitInputs:
    kind: str
    plan: CriteriaPlan | None = None  # None: no assessment yet
    answers: Mapping[str, AnswerInput] = field(default_factory=dict)
    is_eligible: bool = True
    ineligible_reason: str = ""
    registered: bool = False
    households_total: int | None = None
    households_registered: int | None = None
    figures: Figures | None = None
    last_year: Figures | None = None
    decision: str = ""  # "" while undecided, else recognized | not_recognized | revoked
    xa4: Xa4Rollup | None = None  # for derived criteria (communes)
    # XA-1/CQDN-1/CSGD-1: a model rated effective this year (True), none (False), or the
    # register is not in use for the unit's province (None: the officer's answer decides).
    effective_model: bool | None = None


# --- outputs ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitScore:
    outcome: str
    unmet: list[str]
    missing: list[str]
    points: Decimal | None
    grade: str
    explanation: str
    is_forecast: bool
    computed_outcome: str


@dataclass(frozen=True, slots=True)
class _Status:
    state: str  # MET | NOT_MET | NA | MISSING
    reason: str = ""  # a sentence for the explanation, only when worth reading out


# --- helpers ----------------------------------------------------------------------------------


def format_percent(part: int, whole: int) -> str:
    """'64%', '66,6%': truncated (never rounded up to the threshold), Vietnamese decimal comma."""
    if whole <= 0:
        return "0%"
    tenths = part * 1000 // whole
    return f"{tenths // 10}%" if tenths % 10 == 0 else f"{tenths // 10},{tenths % 10}%"


def required_count(total: int, threshold_percent: int) -> int:
    """Smallest n with n × 100 ≥ threshold × total: 25 units at 70 % need 18, not 17.5."""
    return -(-threshold_percent * total // 100)


def _quote(note: str) -> str:
    note = " ".join(note.split())
    if len(note) > NOTE_QUOTE_CHARS:
        note = note[: NOTE_QUOTE_CHARS - 1].rstrip() + "…"
    return f"“{note}”"


def _points_text(value: Decimal) -> str:
    text = f"{value.normalize():f}" if value == value.to_integral() else f"{value:.2f}".rstrip("0")
    return text.replace(".", ",")


# --- XA-4 -------------------------------------------------------------------------------------


def rollup_xa4(
    children: Iterable[ChildState],
    base: str = BASE_ALL,
    threshold_percent: int = DEFAULT_THRESHOLD,
    code: str = "XA-4",
    rearranged: tuple[int, str] | None = None,
) -> Xa4Rollup:
    """``rearranged``: (how many residential areas the commune had before a re-arrangement
    during the period, their local noun, e.g. "thôn"): the explanation says so, "24 thôn sau
    sắp xếp (trước: 31)" (the areas counted are those existing at the period's end).

    XA-4: 100 % of the eligible units under the commune's authority registered, and
    recognized × 100 ≥ threshold × total. Base ``all``: residential areas, agencies,
    enterprises and schools together (the text of TT 124); ``residential``: residential areas
    only (TT 23/2012). A decided unit counts by its decision; an undecided one by its computed
    result (registered and passing), which makes the roll-up a forecast."""
    total = registered = recognized = undecided = 0
    by_kind: dict[str, dict[str, int]] = {}
    for child in children:
        if not child.is_eligible:
            continue
        if base == BASE_RESIDENTIAL and child.kind != RESIDENTIAL_AREA:
            continue
        counts = by_kind.setdefault(
            child.kind, {"total": 0, "registered": 0, "recognized": 0, "undecided": 0}
        )
        if child.decision in DECIDED:
            is_recognized = child.decision == RECOGNIZED
        else:
            is_recognized = child.registered and child.computed_outcome == PASS
            undecided += 1
            counts["undecided"] += 1
        total += 1
        counts["total"] += 1
        if child.registered:
            registered += 1
            counts["registered"] += 1
        if is_recognized:
            recognized += 1
            counts["recognized"] += 1
    all_registered = registered == total
    enough = recognized * 100 >= threshold_percent * total
    met = all_registered and enough
    required = required_count(total, threshold_percent)
    noun = "khu dân cư" if base == BASE_RESIDENTIAL else "đơn vị"
    verdict = "đạt" if met else "chưa đạt"
    if total == 0:
        text = f"{code}: không có {noun} nào thuộc thẩm quyền — {verdict}"
    else:
        share = f"được công nhận ({format_percent(recognized, total)}) {'≥' if enough else '<'} {threshold_percent}%"
        if all_registered:
            text = f"{code}: {recognized}/{total} {noun} thuộc thẩm quyền {share} — {verdict}"
        else:
            text = (
                f"{code}: chỉ {registered}/{total} {noun} thuộc thẩm quyền đã đăng ký (cần 100%); "
                f"{recognized}/{total} {share} — {verdict}"
            )
    sentences = [text]
    if rearranged is not None:
        before, area_noun = rearranged
        after = by_kind.get(RESIDENTIAL_AREA, {}).get("total", 0)
        sentences.append(f"{after} {area_noun} sau sắp xếp (trước: {before})")
    if total and not enough:
        sentences.append(f"Cần ít nhất {required}/{total} {noun} được công nhận")
    if undecided:
        sentences.append(f"Dự báo: {undecided} {noun} chưa có quyết định, tính theo kết quả chấm")
    return Xa4Rollup(
        met=met,
        total=total,
        registered=registered,
        recognized=recognized,
        required=required,
        undecided=undecided,
        threshold_percent=threshold_percent,
        base=base,
        by_kind=MappingProxyType({k: MappingProxyType(v) for k, v in by_kind.items()}),
        explanation=". ".join(sentences),
    )


# --- leaves -----------------------------------------------------------------------------------


_IS_MET, _IS_NOT_MET, _IS_NA, _IS_MISSING = _Status(MET), _Status(NOT_MET), _Status(NA), _Status(MISSING)


def _plain(spec: CriterionSpec, answer: AnswerInput | None) -> _Status:
    value = answer.value if answer else MISSING
    if value == MET:
        return _IS_MET
    if value == NOT_MET:
        return _IS_NOT_MET
    if value == NA:
        if spec.na_allowed:
            return _IS_NA
        return _Status(NOT_MET, f"{spec.code}: được đánh dấu “không áp dụng” nhưng tiêu chí này bắt buộc")
    return _IS_MISSING


def _count_threshold(spec: CriterionSpec, answer: AnswerInput | None, inputs: UnitInputs) -> _Status:
    if answer and answer.value == NA and spec.na_allowed:
        return _Status(NA)
    if not inputs.registered:
        return _Status(NOT_MET, f"{spec.code}: chưa đăng ký phấn đấu đạt tiêu chuẩn")
    total, done = inputs.households_total, inputs.households_registered
    threshold = spec.threshold_percent if spec.threshold_percent is not None else 100
    if total and done is not None:
        share = f"{done}/{total} hộ gia đình đăng ký ({format_percent(done, total)})"
        if done * 100 < threshold * total:
            return _Status(NOT_MET, f"{spec.code}: {share} < {threshold}%")
        if answer and answer.value == NOT_MET:
            return _Status(NOT_MET, f"{spec.code}: {share}, nhưng được đánh giá chưa đạt")
        return _Status(MET)
    return _plain(spec, answer)


def _comparison_suggestion(this: Figures | None, last: Figures | None) -> tuple[str, str]:
    """(MET | NOT_MET | MISSING, the figures as words)."""
    if this is None or last is None:
        return MISSING, ""
    compared, increased = [], False
    for attr, name in FIGURE_NAMES:
        now, before = getattr(this, attr), getattr(last, attr)
        if now is None or before is None:
            continue
        trend = "tăng" if now > before else ("giảm" if now < before else "không tăng")
        increased = increased or now > before
        compared.append(f"{name} {now} (năm trước {before}, {trend})")
    if not compared:
        return MISSING, ""
    return (NOT_MET if increased else MET), ", ".join(compared)


def _comparison(spec: CriterionSpec, answer: AnswerInput | None, inputs: UnitInputs) -> _Status:
    value = answer.value if answer else MISSING
    if value == NA and spec.na_allowed:
        return _Status(NA)
    suggestion, figures = _comparison_suggestion(inputs.figures, inputs.last_year)
    if suggestion == MISSING:
        return _plain(spec, answer)
    word = {MET: "đạt", NOT_MET: "chưa đạt"}
    if value == MISSING or value == suggestion:
        reason = f"{spec.code}: {figures} — {word[suggestion]}" if suggestion == NOT_MET else ""
        return _Status(suggestion, reason)
    note = answer.note.strip() if answer else ""
    if note and value in (MET, NOT_MET):
        reason = (
            f"{spec.code}: số liệu gợi ý {word[suggestion]} ({figures}), cán bộ xác định "
            f"{word[value]} với ghi chú {_quote(note)}"
        )
        return _Status(value, reason)
    reason = (
        f"{spec.code}: {figures} — {word[suggestion]}; câu trả lời khác số liệu "
        f"nhưng không có ghi chú giải trình nên không được tính"
    )
    return _Status(suggestion, reason)


def _model(spec: CriterionSpec, answer: AnswerInput | None, inputs: UnitInputs) -> _Status:
    """XA-1/CQDN-1/CSGD-1 with the register saying no model of the unit was rated effective:
    "met" counts only with a note (the justification, quoted), like a contradicted KDC-4a."""
    status = _plain(spec, answer)
    if inputs.effective_model is not False or status.state == NA:
        return status
    note = answer.note.strip() if answer else ""
    if status.state == MET:
        if note:
            return _Status(
                MET, f"{spec.code}: {NO_EFFECTIVE_MODEL}, cán bộ xác định đạt với ghi chú {_quote(note)}"
            )
        return _Status(NOT_MET, f"{spec.code}: {NO_EFFECTIVE_MODEL}")
    return _Status(status.state, status.reason or f"{spec.code}: {NO_EFFECTIVE_MODEL}")


def _derived(spec: CriterionSpec, inputs: UnitInputs) -> _Status:
    if inputs.xa4 is None:
        return _Status(MISSING, f"{spec.code}: chưa tính được")
    return _Status(MET if inputs.xa4.met else NOT_MET, inputs.xa4.explanation)


def _evaluate(plan: CriteriaPlan, inputs: UnitInputs) -> dict[str, _Status]:
    statuses: dict[str, _Status] = {}
    answers = inputs.answers
    for spec in plan.post_order:  # sub-items first, so a group finds its items decided
        kind = spec.answer_type
        if kind == BOOLEAN and spec.code in MODEL_CRITERIA:
            status = _model(spec, answers.get(spec.code), inputs)
        elif kind == BOOLEAN:
            status = _plain(spec, answers.get(spec.code))
        elif kind == GROUP:
            states = [statuses[child].state for child in plan.children.get(spec.code, ())]
            if NOT_MET in states:
                status = _IS_NOT_MET
            elif MISSING in states:
                status = _IS_MISSING
            elif states and all(state == NA for state in states):
                status = _IS_NA
            else:
                status = _IS_MET
        elif kind == COUNT_THRESHOLD:
            status = _count_threshold(spec, answers.get(spec.code), inputs)
        elif kind == COMPARISON:
            status = _comparison(spec, answers.get(spec.code), inputs)
        elif kind == DERIVED:
            status = _derived(spec, inputs)
        else:
            status = _plain(spec, answers.get(spec.code))
        statuses[spec.code] = status
    return statuses


# --- points and grade -------------------------------------------------------------------------


def _points(
    sheet: SheetSpec, statuses: Mapping[str, _Status], answers: Mapping[str, AnswerInput]
) -> Decimal | None:
    total = Decimal(0)
    for item in sheet.items:
        status = statuses.get(item.code)
        if status is None:  # an item for a criterion the set does not have
            continue
        answer = answers.get(item.code)
        entered = None
        if answer is not None:
            entered = answer.appraised_points if answer.appraised_points is not None else answer.self_points
        if entered is not None:
            total += min(max(entered, Decimal(0)), item.max_points)
        elif status.state in (MET, NA):
            total += item.max_points
        elif status.state == NOT_MET:
            if item.deduction is not None:
                incidents = answer.number if answer is not None and answer.number else 1
                total += max(Decimal(0), item.max_points - item.deduction * incidents)
        else:
            return None
    return min(total, sheet.total_points)


def _grade(sheet: SheetSpec, points: Decimal, knockouts: list[str], outcome: str) -> tuple[str, str]:
    """(grade, why it was capped or "")."""
    bands = sorted(sheet.bands, key=lambda band: band[1], reverse=True)
    if not bands:
        return "", ""
    index = next((i for i, (_grade, minimum) in enumerate(bands) if points >= minimum), None)
    if index is None:
        return "", ""
    why = ""
    if knockouts:
        lowest = len(bands) - 1
        if index < lowest:
            index = lowest
            why = f"vì không đạt tiêu chí điểm liệt {', '.join(knockouts)}"
    elif outcome == FAIL and index == 0 and len(bands) > 1:
        index = 1
        why = "vì chưa đạt tiêu chuẩn nên không xếp loại cao nhất"
    return bands[index][0], why


# --- the unit ---------------------------------------------------------------------------------


def _decided(inputs: UnitInputs, computed: str) -> tuple[str, bool]:
    if inputs.decision == RECOGNIZED:
        return PASS, False
    if inputs.decision in (NOT_RECOGNIZED, REVOKED):
        return FAIL, False
    return computed, True


def score_unit(inputs: UnitInputs) -> UnitScore:
    """Score one unit (see the module docstring for the rules)."""
    if not inputs.is_eligible:
        reason = f": {inputs.ineligible_reason}" if inputs.ineligible_reason else ""
        return UnitScore(
            NOT_ELIGIBLE, [], [], None, "", f"Không thuộc đối tượng{reason}", False, NOT_ELIGIBLE
        )

    if inputs.plan is None:
        sentences: list[str] = ["Chưa có phiếu đánh giá"]
        if not inputs.registered:
            sentences.append("chưa đăng ký phấn đấu đạt tiêu chuẩn")
        text = ", ".join(sentences)
        if inputs.xa4 is not None:
            text += ". " + inputs.xa4.explanation
        outcome, forecast = _decided(inputs, PENDING)
        if not forecast:
            text = f"{DECISION_SENTENCES[inputs.decision]}. {text}"
        return UnitScore(outcome, [], [], None, "", text, forecast, PENDING)

    plan = inputs.plan
    statuses = _evaluate(plan, inputs)
    unmet = [code for code in plan.scored_items if statuses[code].state == NOT_MET]
    missing = [code for code in plan.scored_items if statuses[code].state == MISSING]
    not_applicable = sum(1 for code in plan.scored_items if statuses[code].state == NA)
    computed = FAIL if unmet else (PENDING if missing else PASS)
    outcome, forecast = _decided(inputs, computed)

    sentences = []
    if not forecast:
        sentences.append(DECISION_SENTENCES[inputs.decision])
    if computed == PASS:
        extra = f" ({not_applicable} tiêu chí không áp dụng)" if not_applicable else ""
        sentences.append(f"Đạt: đáp ứng đủ {len(plan.scored_items)} tiêu chí{extra}")
    elif computed == FAIL:
        sentences.append(f"Chưa đạt {len(unmet)} tiêu chí: {', '.join(unmet)}")
    else:
        sentences.append(f"Chưa đủ dữ liệu: chưa đánh giá {', '.join(missing)}")
    sentences.extend(statuses[code].reason for code in plan.scored_items if statuses[code].reason)
    if computed == FAIL and missing:
        sentences.append(f"Chưa đánh giá: {', '.join(missing)}")

    points, grade = None, ""
    if plan.sheet is not None:
        points = _points(plan.sheet, statuses, inputs.answers)
        if points is not None:
            total = _points_text(plan.sheet.total_points)
            if outcome == PENDING:
                sentences.append(f"Điểm: {_points_text(points)}/{total}")
            else:
                knockouts = [
                    item.code
                    for item in plan.sheet.items
                    if item.is_knockout and item.code in statuses and statuses[item.code].state == NOT_MET
                ]
                grade, why = _grade(plan.sheet, points, knockouts, outcome)
                label = GRADE_LABELS.get(grade, grade)
                text = f"Điểm: {_points_text(points)}/{total}"
                if grade:
                    text += f", xếp loại {label}" + (f" {why}" if why else "")
                sentences.append(text)
    return UnitScore(
        outcome=outcome,
        unmet=unmet,
        missing=missing,
        points=points,
        grade=grade,
        explanation=". ".join(sentences),
        is_forecast=forecast,
        computed_outcome=computed,
    )
