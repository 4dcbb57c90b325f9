"""What the engine says of a unit, as sentences people act on: the computed outcome, each
criterion not met with the engine's reason (KDC-4a "vi phạm pháp luật khác 2 (năm trước 1, tăng)
— chưa đạt", KDC-1 "82/86 hộ gia đình đăng ký (95,3%) < 100%") and the criterion's own text
(what is needed), each criterion not answered yet, and what XA-4 still needs ("cần ít nhất
17/24").

The one home of this reading: the entry, appraisal and decision pages, the officer's home, the
unit pages and the recognition service's check all call it. It reads ``Result`` rows as the
engine wrote them (``scoring/engine.py`` joins its sentences with ". "); it never scores.
"""

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from antt.database.compiled import Compiled
from certification.audit import Action
from certification.models import Assessment, AuditEvent, Campaign, Criterion, Decision, Result
from certification.scoring import engine
from certification.selectors.criteria import criterion_text, criterion_texts
from units.models import Unit

NOT_MET, MISSING = "not_met", "missing"
_CODE = re.compile(r"^(?P<code>[A-Za-zĐđ0-9][A-Za-zĐđ0-9.\-]*): (?P<text>.+)$", re.DOTALL)
_NEEDED = "Cần "  # the engine's "Cần ít nhất 17/24 …" after the XA-4 sentence
_UNANSWERED = "Chưa đánh giá:"  # the engine's list of unanswered codes, shown item by item here


@dataclass(frozen=True)
class Item:
    """One criterion standing in the way: ``state`` not_met or missing (not answered)."""

    code: str
    state: str
    requirement: str  # the criterion's text: what is needed
    why: list[str] = field(default_factory=list)  # the engine's sentences about it
    needed: list[str] = field(default_factory=list)  # what it still needs, when the engine says

    @property
    def is_met(self) -> bool:
        return False


@dataclass(frozen=True)
class Reasons:
    """The engine's word on one unit in one campaign (``outcome`` "" before any scoring)."""

    outcome: str
    label: str
    is_forecast: bool
    summary: str
    items: list[Item]
    notes: list[str]
    computed_at: datetime.datetime | None = None
    decided: bool = False

    @property
    def engine_fails(self) -> bool:
        """The computed result fails, whatever was decided since (a decided row keeps its codes)."""
        return self.outcome == Result.Outcome.FAIL or any(i.state == NOT_MET for i in self.items)

    @property
    def not_met(self) -> list[Item]:
        return [i for i in self.items if i.state == NOT_MET]

    @property
    def missing(self) -> list[Item]:
        return [i for i in self.items if i.state == MISSING]

    @property
    def sentence(self) -> str:
        """One line for a list or the audit: "Chưa đạt: KDC-4a: … — chưa đạt"."""
        parts = [f"{i.code}: {'; '.join(i.why)}" if i.why else i.code for i in self.not_met]
        return f"{self.label}: {'. '.join(parts)}" if parts else self.label


NO_RESULT = Reasons("", "", True, "", [], [])


def split_sentences(text: str) -> list[str]:
    """The engine's explanation back into its sentences: split on ". " outside quotes (an
    officer's note is quoted “…” and may hold full stops of its own)."""
    if "“" not in text:  # nothing quoted (most results): the same split, in C (issue 23, round 7)
        return [s for s in (part.strip() for part in text.split(". ")) if s]
    sentences: list[str] = []
    current: list[str] = []
    depth = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char == "“":
            depth += 1
        elif char == "”":
            depth = max(0, depth - 1)
        if char == "." and depth == 0 and text[i + 1 : i + 2] == " ":
            sentences.append("".join(current).strip())
            current = []
            i += 2
            continue
        current.append(char)
        i += 1
    if "".join(current).strip():
        sentences.append("".join(current).strip())
    return [s for s in sentences if s]


def _label(outcome: str, is_forecast: bool) -> str:
    labels: dict[str, str] = {
        Result.Outcome.PASS: _("Meets the standard"),
        Result.Outcome.FAIL: _("Does not meet the standard yet"),
        Result.Outcome.NOT_ELIGIBLE: _("Not covered"),
        Result.Outcome.PENDING: _("Not enough data yet"),
    }
    label = str(labels.get(outcome, outcome))
    return _("Forecast: %(label)s") % {"label": label} if is_forecast else label


def from_result(result: Result | None, texts: dict[str, str] | None = None) -> Reasons:
    """``texts``: criterion code → its text (the requirement shown beside each item)."""
    if result is None:
        return NO_RESULT
    texts = texts or {}
    codes = {code: NOT_MET for code in result.unmet_codes}
    codes.update({code: MISSING for code in result.missing_codes if code not in codes})
    why: dict[str, list[str]] = {code: [] for code in codes}
    needed: dict[str, list[str]] = {code: [] for code in codes}
    general: list[str] = []
    last = ""
    for sentence in split_sentences(result.explanation):
        match = _CODE.match(sentence)
        if match and match.group("code") in codes:
            last = match.group("code")
            why[last].append(match.group("text"))
        elif sentence.startswith(_NEEDED) and last:
            needed[last].append(sentence)
        elif sentence.startswith(_UNANSWERED):
            continue
        else:
            general.append(sentence)
            last = ""
    items = [
        Item(code, state, texts.get(code, ""), why[code], needed[code])
        for code, state in sorted(codes.items(), key=lambda pair: pair[1] != NOT_MET)
    ]
    decided = not result.is_forecast and result.outcome != Result.Outcome.NOT_ELIGIBLE
    summary = general[0] if general else ""
    if decided and len(general) > 1 and general[0] in engine.DECISION_SENTENCES.values():
        summary = general[1]
        general = [general[0], *general[2:]]
    else:
        general = general[1:]
    return Reasons(
        outcome=result.outcome,
        label=_label(result.outcome, result.is_forecast),
        is_forecast=result.is_forecast,
        summary=summary,
        items=items,
        notes=general,
        computed_at=result.computed_at,
        decided=decided,
    )


def _texts(set_ids: Iterable[int], codes: Iterable[str]) -> dict[tuple[int, str], str]:
    rows = Criterion.objects.filter(criteria_set_id__in=set(set_ids), code__in=set(codes)).select_related(
        "source"
    )
    return {(c.criteria_set_id, c.code): criterion_text(c) for c in rows}


_RESULT = Compiled(
    lambda campaign_id, unit_id: Result.objects.filter(campaign_id=campaign_id, unit_id=unit_id)
)


def for_assessments(
    assessments: Iterable[Assessment], texts: dict[str, str] | None = None
) -> dict[int, Reasons]:
    """assessment id → its reasons: two queries whatever the number of assessments; one with
    ``texts`` (code → text of the criteria of one set, when the caller has read them already)."""
    assessments = list(assessments)
    rows: Iterable[Result]
    if len(assessments) == 1:  # the entry form: compiled once per process (issue 23)
        rows = _RESULT(assessments[0].campaign_id, assessments[0].unit_id)
    else:
        rows = Result.objects.filter(
            campaign_id__in={a.campaign_id for a in assessments}, unit_id__in={a.unit_id for a in assessments}
        )
    results = {(r.campaign_id, r.unit_id): r for r in rows}
    codes = {c for r in results.values() for c in (*r.unmet_codes, *r.missing_codes)}
    if texts is not None:
        by_set = {
            (a.criteria_set_id, code): texts[code] for a in assessments for code in codes if code in texts
        }
    elif all(Assessment.criteria_set.is_cached(a) for a in assessments):
        # The sets came with the assessments: their texts are kept per published set (no query).
        sets = {a.criteria_set_id: a.criteria_set for a in assessments}
        by_set = {
            (set_id, code): text
            for set_id, criteria_set in sets.items()
            for code, text in criterion_texts(criteria_set).items()
            if code in codes
        }
    else:
        by_set = _texts({a.criteria_set_id for a in assessments}, codes) if codes else {}
    found = {}
    for a in assessments:
        result = results.get((a.campaign_id, a.unit_id))
        own = {code: text for (set_id, code), text in by_set.items() if set_id == a.criteria_set_id}
        found[a.pk] = from_result(result, own)
    return found


def for_assessment(assessment: Assessment, texts: dict[str, str] | None = None) -> Reasons:
    """``texts``: its criteria's code → text, when the caller has them (the entry form's rows)."""
    return for_assessments([assessment], texts)[assessment.pk]


def xa4_sentences(result: Result | None) -> list[str]:
    """The commune's XA-4 in words ("XA-4: 16/24 … < 70% — chưa đạt", "Cần ít nhất 17/24 …"),
    from the roll-up the engine stored with the commune's result."""
    if result is None or not isinstance(result.rollup, dict):
        return []
    return split_sentences(str(result.rollup.get("explanation", "")))


_COMMUNE_RESULT = Compiled(
    lambda campaign_id, unit_id: Result.objects.filter(
        campaign_id=campaign_id, unit_id=unit_id, unit__kind=Unit.Kind.COMMUNE, unit__valid_to__isnull=True
    ).select_related("unit")
)


def xa4_of_commune(campaign: Campaign, unit_id: int) -> list[tuple[Unit, list[str]]]:
    """``xa4_of_communes`` of one unit: nothing unless it is a commune in force with sentences
    (one query, compiled once per process: issue 23)."""
    return [(r.unit, xa4_sentences(r)) for r in _COMMUNE_RESULT(campaign.pk, unit_id) if xa4_sentences(r)]


def xa4_of_communes(campaign: Campaign, communes: Iterable[Unit]) -> list[tuple[Unit, list[str]]]:
    """(commune, its XA-4 sentences) for the communes given, in their order, one query. A
    queryset of communes, ordered by ``search_name``, is not read on its own: its communes come
    with their results (issue 23: one query less on the officer's home)."""
    if isinstance(communes, QuerySet):
        found = Result.objects.filter(campaign=campaign, unit__in=communes.values("pk")).select_related(
            "unit"
        )
        return [
            (r.unit, xa4_sentences(r))
            for r in found.order_by("unit__search_name", "unit_id")
            if xa4_sentences(r)
        ]
    communes = list(communes)
    results = {
        r.unit_id: r for r in Result.objects.filter(campaign=campaign, unit_id__in=[c.pk for c in communes])
    }
    return [(c, xa4_sentences(results.get(c.pk))) for c in communes if xa4_sentences(results.get(c.pk))]


def latest_for_unit(unit: Unit) -> tuple[Campaign | None, Reasons]:
    """The unit's most recent result (its campaign and reasons): for the unit's own page. Only
    for the kinds assessed (a province's row holds its summary, not a verdict)."""
    if unit.kind not in Unit.ASSESSED_KINDS:
        return None, NO_RESULT
    result = (
        Result.objects.filter(unit=unit, campaign__status__in=[Campaign.Status.OPEN, Campaign.Status.CLOSED])
        .select_related("campaign", "assessment")
        .order_by("-campaign__year")
        .first()
    )
    if result is None:
        return None, NO_RESULT
    texts: dict[str, str] = {}
    codes = [*result.unmet_codes, *result.missing_codes]
    if result.assessment is not None and codes:
        texts = {
            code: text for (_set, code), text in _texts([result.assessment.criteria_set_id], codes).items()
        }
    return result.campaign, from_result(result, texts)


@dataclass(frozen=True)
class Override:
    """A unit recognized against the computed result: what the engine said, and why not."""

    assessment: Assessment
    computed: str
    reason: str
    by: str
    at: datetime.datetime


def overrides_for(decision: Decision) -> list[Override]:
    """The overrides recorded when ``decision`` was taken (from the audit chain, where
    ``services.transitions.recognize`` writes them)."""
    events = (
        AuditEvent.objects.filter(action=Action.RECOGNITION_OVERRIDE, assessment__decision=decision)
        .select_related("assessment__unit", "actor")
        .order_by("id")
    )
    return [
        Override(
            assessment=e.assessment,
            computed=e.old,
            reason=e.new,
            by=(e.actor.get_full_name() or e.actor.username) if e.actor else _("system"),
            at=e.at,
        )
        for e in events
        if e.assessment is not None
    ]
