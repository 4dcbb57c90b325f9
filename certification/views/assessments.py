"""Views: assessments — list, entry page (inline save with or without JavaScript), workflow
actions (submit, return, appraise, recognize in batch, revoke, entry exception), evidence,
registration, "Việc cần làm" and offline entry through Excel.

Every view starts from ``units.access``: out of scope → 404, wrong role → 403. Services
decide everything else and their ``WorkflowError`` becomes a message.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from antt.errors import WorkflowError
from antt.text import sort_key
from antt.web.actions import attempt
from antt.web.downloads import stored_file_response
from antt.web.exports import xlsx_response
from antt.web.fragments import fragment_key, kept_page, pages_are_kept
from antt.web.listing import list_context, sort_queryset, wants_export
from certification.errors import ConflictError
from certification.exchange import assessment_excel as excel
from certification.forms.assessments import EvidenceForm
from certification.forms.filters import AssessmentFilter
from certification.models import Assessment, Criterion, Evidence, Registration
from certification.selectors import assessments, history, reasons
from certification.selectors.campaigns import get_campaign_for_user
from certification.services.entry import add_evidence, delete_evidence, save_answers, start_assessment
from units.access import can_see, get_for_user, require_role, scope_queryset, user_roles
from units.models import RoleAssignment, Unit

Role = RoleAssignment.Role
Status = Assessment.Status
TEMPLATES = "certification/assessments/"
UPLOAD_TAG = "upload"
SORTS = {
    "name": "unit__search_name",
    "code": "unit__code",
    "year": ("campaign__year", "unit__search_name"),
    "status": ("status", "unit__search_name"),
    "updated": "updated_at",
}
# Attendees of the assessment meeting (TT 124 Art. 9(1)(a) and (c)): suggestions only.
MEETING_ROLES = {
    "residential": [
        "Trưởng khu dân cư (chủ trì)",
        "Bí thư chi bộ",
        "Đại diện Ban Công tác Mặt trận",
        "Đại diện tổ chức đoàn thể",
        "Đại diện Công an cấp cơ sở",
    ],
    "institution": [
        "Người đứng đầu (chủ trì)",
        "Đại diện cấp ủy Đảng",
        "Đại diện tổ chức đoàn thể",
        "Đại diện lực lượng bảo vệ",
        "Đại diện Công an cơ sở",
        "Đại diện cơ quan có thẩm quyền quản lý",
    ],
}


def _assessment(
    request: HttpRequest, pk: int, role: str | None = None, *, page_key: bool = False
) -> Assessment:
    """The assessment, if in the user's subtree (404 otherwise) and, with ``role``, if the user
    holds that role on its unit (403 otherwise). ``page_key``: read the stamps of its kept page
    in the same statement (``assessments.assessment_with_page_key``)."""
    if page_key:
        assessment = assessments.assessment_with_page_key(pk, request.user)
    else:
        assessment = assessments.assessment_by_id(pk)
    if assessment is None or not can_see(request.user, assessment.unit):
        raise Http404
    if role is not None:
        require_role(request.user, assessment.unit, role)
    return assessment


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _to_detail(assessment: Assessment, anchor: str = "") -> HttpResponse:
    return redirect(assessment.get_absolute_url() + (f"#{anchor}" if anchor else ""))


# --- list ----------------------------------------------------------------------------------


@login_required
def assessment_list(request: HttpRequest) -> HttpResponse:
    queryset = scope_queryset(
        request.user, Assessment.objects.select_related("unit", "unit__parent", "campaign", "decision")
    )
    f = AssessmentFilter(request.GET, queryset=queryset, user=request.user)
    rows, order = sort_queryset(request, f.qs, SORTS, default="name")
    if wants_export(request):
        headers = [_("Code"), _("Unit"), _("Kind"), _("Year"), _("Status"), _("Decision")]
        return xlsx_response(
            "danh-sach-danh-gia.xlsx",
            headers,
            (
                [
                    a.unit.code,
                    a.unit.full_name,
                    a.unit.get_kind_display(),
                    a.campaign.year,
                    a.get_status_display(),
                    a.decision.reference if a.decision else "",
                ]
                for a in rows.iterator()
            ),
        )
    context = {"filter": f, **list_context(request, rows, order=order)}
    campaign = f.form.cleaned_data.get("campaign") if f.is_valid() else None
    if campaign and has_any_role(request.user, Role.OFFICER):
        started = set(Assessment.objects.filter(campaign=campaign).values_list("unit_id", flat=True))
        registered = set(Registration.objects.filter(campaign=campaign).values_list("unit_id", flat=True))
        not_started = [u for u in excel.units_for_export(request.user, campaign) if u.pk not in started]
        if request.GET.get("registration") == "missing":
            not_started = [u for u in not_started if u.pk not in registered]
        for u in not_started:
            u.is_registered = u.pk in registered
        # Unregistered first (the registration comes first), then by name as people sort.
        not_started.sort(key=lambda u: (u.is_registered, sort_key(u.full_name)))
        context["campaign"] = campaign
        context["not_started"] = not_started[:200]
    context["can_enter"] = has_any_role(request.user, Role.OFFICER)
    return render(request, TEMPLATES + "list.html", context)


def has_any_role(user, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


@login_required
def assessment_start(request: HttpRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    unit = get_for_user(request.user, Unit, source.get("unit"))
    campaign = get_campaign_for_user(request.user, source.get("campaign"))
    require_role(request.user, unit, Role.OFFICER)
    if request.method != "POST":
        return render(request, TEMPLATES + "start.html", {"unit": unit, "campaign": campaign})
    with attempt(request):
        assessment = start_assessment(campaign=campaign, unit=unit, by=request.user)
        messages.success(request, _("The assessment is open for entry."))
        return _to_detail(assessment)
    return redirect(reverse("certification:assessment-list") + f"?campaign={campaign.pk}")


# --- entry page ----------------------------------------------------------------------------


@login_required
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    kept = pages_are_kept(request)
    # Whose page it is: checked before any kept page is served. The page's stamps come with the
    # assessment (one statement: issue 23, round 10).
    assessment = _assessment(request, pk, page_key=kept)
    if kept and assessments.keeps_page(assessment):
        # Kept whole (issue 23, round 9): a reload reads the key and the cache, nothing else.
        key = assessments.page_key(assessment, request.user)
        return kept_page(
            request, TEMPLATES + "detail.html", key, lambda: _detail_context(request, assessment)
        )
    return render(request, TEMPLATES + "detail.html", _detail_context(request, assessment))


@login_required
def assessment_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Every change of the assessment, a hundred a page (the entry form shows the latest)."""
    assessment = _assessment(request, pk)
    page, rows = history.history_page(assessment, request.GET.get("page"))
    return render(
        request, TEMPLATES + "history.html", {"assessment": assessment, "page_obj": page, "timeline": rows}
    )


def _detail_context(request: HttpRequest, assessment: Assessment) -> dict:
    perms = assessments.permissions(request.user, assessment)
    evidence = assessments.evidence_by_criterion(assessment)
    rows = assessments.entry_rows(assessment, can_edit=perms["can_edit"], evidence=evidence)
    previous = assessments.previous_assessment(assessment)
    attendees = list(assessment.meeting_attendees or [])
    kind = "residential" if assessment.unit.kind == Unit.Kind.RESIDENTIAL_AREA else "institution"
    codes = [r["criterion"].code for r in rows if r["answer"]]
    timeline, timeline_more = history.latest_changes(assessment)
    context = {
        "assessment": assessment,
        "rows": rows,
        "can": perms,
        "has_comparison": any(r["criterion"].answer_type == Criterion.AnswerType.COMPARISON for r in rows),
        "has_points": any(r["max_points"] is not None for r in rows),
        "has_appraisal": any(r["answer"] and r["answer"].appraised_value for r in rows),
        "figures": [
            (
                name,
                Assessment._meta.get_field(name).verbose_name,
                getattr(assessment, name),
                getattr(previous, name, None),
            )
            for name in Assessment.FIGURE_FIELDS
        ],
        "previous": previous,
        "attendees": attendees + [{"name": "", "role": ""}] * 3,
        "meeting_roles": MEETING_ROLES[kind],
        "dossier_evidence": evidence.get(None, []),
        # Made only when the kept upload inputs are rendered again (issue 23: ~0.2 ms a reload),
        # kept under the codes they list, not the assessment's version (round 9: a saved answer
        # rendered them again, ~2 ms of the first view after it).
        "evidence_form": SimpleLazyObject(lambda: EvidenceForm(codes=codes)),
        "evidence_inputs_key": fragment_key("evidence-inputs", codes),
        "missing": (
            assessments.missing_for_submission(assessment, [r["answer"] for r in rows if r["answer"]])
            if perms["can_submit"]
            else []
        ),
        "deadline": assessments.entry_deadline(assessment),
        "registration": assessments.registration_of(assessment),
        "timeline": timeline,
        "timeline_more": timeline_more,
        "returned_rows": [r for r in rows if r["answer"] and r["answer"].is_returned],
        "answered": sum(1 for r in rows if r["answer"] and r["answer"].value),
        "answerable": sum(1 for r in rows if r["answer"]),
        "max_evidence_mb": f"{settings.EVIDENCE_MAX_BYTES / 1048576:g}",
        "reasons": reasons.for_assessment(assessment, {r["criterion"].code: r["text"] for r in rows}),
        "revocation": assessments.revocation_of(assessment),
        "max_evidence_bytes": settings.EVIDENCE_MAX_BYTES,
        # A refused upload is also said beside the upload form, where the page scrolls to.
        "upload_messages": [
            m
            for m in messages.get_messages(request)
            if UPLOAD_TAG in m.tags.split() and m.level == messages.ERROR
        ],
    }
    return context


# The entry form's inputs of an answer: ``<prefix>-<answer id>`` → the service's field.
ANSWER_INPUTS = {"value": "value", "note": "note", "number": "number", "points": "self_points"}


def _parse_entry(post, assessment: Assessment) -> tuple[dict, dict | None, dict | None]:
    """Read the entry form. ``only`` limits it to one row (an answer's id), "figures" or
    "dossier" — what the inline save sends; without it the whole form is read."""
    only = post.get("only", "")
    # By answer id, as posted: the service reads the answers (locked) and matches them; no query
    # here (issue 23).
    changes: dict[int, dict] = {}
    for key in post:
        prefix, dash, answer_id = key.partition("-")
        name = ANSWER_INPUTS.get(prefix)
        if not (dash and name and answer_id.isascii() and answer_id.isdigit() and answer_id[0] != "0"):
            continue
        if only and only != answer_id:
            continue
        changes.setdefault(int(answer_id), {})[name] = post.get(key)
    figures = None
    if only in ("", "figures"):
        figures = {name: post.get(name) for name in Assessment.FIGURE_FIELDS if name in post} or None
    dossier = None
    if only in ("", "dossier"):
        dossier = {}
        for name, key in (
            ("meeting_date", "meeting_date"),
            ("meeting_chair", "meeting_chair"),
            ("submission_number", "submission_number"),
            ("submission_date", "submission_date"),
            ("report_summary", "report_summary"),
            ("note", "assessment_note"),
        ):
            if key in post:
                dossier[name] = post.get(key)
        if "attendee-name" in post:
            dossier["meeting_attendees"] = [
                {"name": name, "role": role}
                for name, role in zip(
                    post.getlist("attendee-name"), post.getlist("attendee-role"), strict=False
                )
            ]
        dossier = dossier or None
    return changes, figures, dossier


def posted_version(request: HttpRequest) -> int:
    """The ``version`` the form was rendered with; missing or bad, it is stale (0), never "skip
    the check" (which would overwrite what others saved since)."""
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return 0


@require_POST
@login_required
def assessment_save(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk, Role.OFFICER)
    as_json = _wants_json(request)
    expected = posted_version(request)
    changes, figures, dossier = _parse_entry(request.POST, assessment)
    try:
        assessment = save_answers(
            assessment=assessment,
            by=request.user,
            expected_version=expected,
            changes_by_answer=changes,
            figures=figures,
            dossier=dossier,
        )
    except ConflictError as e:
        if as_json:
            return JsonResponse(
                {"ok": False, "conflict": True, "message": str(e), "version": e.current_version}, status=409
            )
        messages.error(request, str(e))
        return _to_detail(assessment)
    except WorkflowError as e:
        if as_json:
            return JsonResponse({"ok": False, "message": str(e), "version": assessment.version}, status=400)
        messages.error(request, str(e))
        return _to_detail(assessment)
    missing = assessments.missing_for_submission(assessment)
    if as_json:
        return JsonResponse(
            {"ok": True, "message": _("Saved"), "version": assessment.version, "missing": missing}
        )
    messages.success(request, _("Saved."))
    return _to_detail(assessment)


# --- evidence ------------------------------------------------------------------------------


@require_POST
@login_required
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk, Role.OFFICER)
    codes = list(assessment.answers.values_list("criterion__code", flat=True))
    form = EvidenceForm(request.POST, request.FILES, codes=codes)
    if not form.is_valid():
        messages.error(request, _("Choose a file to upload."), extra_tags=UPLOAD_TAG)
        return _to_detail(assessment, "evidence")
    try:
        evidence = add_evidence(
            assessment=assessment,
            by=request.user,
            file=form.cleaned_data["file"],
            criterion_code=form.cleaned_data["criterion"],
        )
    except WorkflowError as e:
        messages.error(request, str(e), extra_tags=UPLOAD_TAG)
    else:
        messages.success(request, _("File “%(name)s” attached.") % {"name": evidence.original_name})
    return _to_detail(assessment, "evidence")


def _evidence(request: HttpRequest, pk: int) -> Evidence:
    queryset = Evidence.objects.select_related("assessment__unit", "assessment__campaign", "criterion")
    return get_for_user(request.user, queryset, pk, unit_field="assessment__unit")


@login_required
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    evidence = _evidence(request, pk)
    return stored_file_response(evidence.file, evidence.content_type, evidence.original_name)


@login_required
def evidence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = _evidence(request, pk)
    assessment = evidence.assessment
    require_role(request.user, assessment.unit, Role.OFFICER)
    if request.method != "POST":
        return render(
            request, TEMPLATES + "evidence_delete.html", {"evidence": evidence, "assessment": assessment}
        )
    with attempt(request):
        delete_evidence(evidence=evidence, by=request.user)
        messages.success(request, _("File removed."))
    return _to_detail(assessment, "evidence")
