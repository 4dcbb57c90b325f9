"""Views: assessments — list, entry page (inline save with or without JavaScript), workflow
actions (submit, return, appraise, recognize in batch, revoke, entry exception), evidence,
registration, "Việc cần làm" and offline entry through Excel.

Every view starts from ``units.access``: out of scope → 404, wrong role → 403. Services
decide everything else and their ``WorkflowError`` becomes a message.
"""

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from antt.exports import xlsx_response
from antt.listing import list_context, sort_queryset, wants_export
from certification import assessment_excel as excel
from certification import services, worklist
from certification.audit import events_for
from certification.campaigns import get_campaign_for_user, visible_campaigns
from certification.criteria import criteria_tree, flatten_tree
from certification.exceptions import WorkflowError
from certification.filters_assessments import AssessmentFilter
from certification.forms_assessments import (
    EvidenceForm,
    ExcelUploadForm,
    ExceptionForm,
    RecognizeForm,
    RegistrationForm,
    RevokeForm,
)
from certification.models import Answer, Assessment, Campaign, Criterion, Evidence, Registration
from units.access import (
    get_for_user,
    has_role,
    home_units,
    require_role,
    scope_queryset,
    user_roles,
    visible_units,
)
from units.models import RoleAssignment, Unit

Role = RoleAssignment.Role
Status = Assessment.Status
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATES = "certification/assessments/"
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
EXCEL_SESSION_KEY = "assessment_excel_imports"
EXCEL_MAX_BYTES = 10 * 1024 * 1024


def _assessment(request: HttpRequest, pk: int) -> Assessment:
    queryset = Assessment.objects.select_related("unit", "campaign", "criteria_set", "decision")
    return get_for_user(request.user, queryset, pk)


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
        started = Assessment.objects.filter(campaign=campaign).values_list("unit_id", flat=True)
        context["campaign"] = campaign
        context["not_started"] = [
            u for u in excel.units_for_export(request.user, campaign) if u.pk not in set(started)
        ][:200]
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
    try:
        assessment = services.start_assessment(campaign=campaign, unit=unit, by=request.user)
    except WorkflowError as e:
        messages.error(request, str(e))
        return redirect(reverse("certification:assessment-list") + f"?campaign={campaign.pk}")
    messages.success(request, _("The assessment is open for entry."))
    return _to_detail(assessment)


# --- entry page ----------------------------------------------------------------------------


def _value_choices(criterion: Criterion) -> list[tuple[str, str]]:
    choices = [(Answer.Value.MET, Answer.Value.MET.label), (Answer.Value.NOT_MET, Answer.Value.NOT_MET.label)]
    if criterion.na_allowed:
        choices.append((Answer.Value.NOT_APPLICABLE, Answer.Value.NOT_APPLICABLE.label))
    return choices


def _max_points(criteria_set) -> dict[int, object]:
    sheet = getattr(criteria_set, "score_sheet", None)
    if sheet is None:
        return {}
    return {item.criterion_id: item.max_points for item in sheet.items.all()}


def _rows(assessment: Assessment, *, can_edit: bool) -> list[dict]:
    answers = {a.criterion_id: a for a in assessment.answers.select_related("updated_by")}
    evidence: dict[int | None, list[Evidence]] = {}
    for e in assessment.evidence.order_by("uploaded_at"):
        evidence.setdefault(e.criterion_id, []).append(e)
    points = _max_points(assessment.criteria_set)
    rows = []
    for node in flatten_tree(criteria_tree(assessment.criteria_set)):
        c = node.criterion
        answer = answers.get(c.pk)
        editable = bool(answer and can_edit and (assessment.status == Status.DRAFT or answer.is_returned))
        rows.append(
            {
                "criterion": c,
                "depth": node.depth,
                "text": c.source.text if c.source_id and not c.text else c.text,
                "is_group": c.answer_type == Criterion.AnswerType.GROUP,
                "is_computed": c.answer_type == Criterion.AnswerType.DERIVED,
                "answer": answer,
                "editable": editable,
                "choices": _value_choices(c),
                "show_number": c.answer_type == Criterion.AnswerType.COUNT_THRESHOLD,
                "max_points": points.get(c.pk),
                "evidence": evidence.get(c.pk, []),
            }
        )
    return rows


def _display(field: str, value: str) -> str:
    if field in ("value", "appraised_value"):
        return str(Answer.Value(value).label) if value in Answer.Value.values else value
    if field == "status":
        return str(Status(value).label) if value in Status.values else value
    if value in ("True", "False"):
        return _("Yes") if value == "True" else _("No")
    return value


def _action_label(action: str) -> str:
    labels = {
        "created": _("Assessment started"),
        "answer": _("Answer"),
        "figures": _("Figures"),
        "dossier": _("Dossier"),
        "status": _("Status"),
        "returned": _("Returned for correction"),
        "appraisal": _("Appraisal"),
        "decision": _("Decision"),
        "revocation": _("Revocation"),
        "exception": _("Entry exception"),
        "evidence": _("Evidence added"),
        "evidence-removed": _("Evidence removed"),
        "registration": _("Registration"),
    }
    return labels.get(action, action)


def _field_label(field: str) -> str:
    for model in (Answer, Assessment, Registration):
        try:
            return str(model._meta.get_field(field).verbose_name)
        except Exception:  # noqa: BLE001 - FieldDoesNotExist: try the next model
            continue
    return field


def timeline(assessment: Assessment) -> list[dict]:
    rows = []
    for e in events_for(assessment):
        subject = e.object_repr.split(":")[0] if e.object_type == "certification.answer" else ""
        rows.append(
            {
                "at": e.at,
                "actor": (e.actor.get_full_name() or e.actor.username) if e.actor else _("system"),
                "action": _action_label(e.action),
                "subject": subject,
                "field": _field_label(e.field) if e.field else "",
                "old": _display(e.field, e.old),
                "new": _display(e.field, e.new),
            }
        )
    return rows


def _permissions(user, assessment: Assessment) -> dict:
    unit = assessment.unit
    is_officer = has_role(user, unit, Role.OFFICER)
    entry_open = services.entry_is_open(assessment)
    can_edit = is_officer and assessment.is_editable and entry_open
    is_appraiser = has_role(user, unit, Role.APPRAISER)
    authority = services.recognizing_authority(unit, assessment.campaign.year)
    is_decider = bool(authority) and services.is_approver_of(user, authority)
    returned_comparison = assessment.answers.filter(
        is_returned=True, criterion__answer_type=Criterion.AnswerType.COMPARISON
    ).exists()
    return {
        "is_officer": is_officer,
        "entry_open": entry_open,
        "can_edit": can_edit,
        "can_edit_figures": can_edit and (assessment.status == Status.DRAFT or returned_comparison),
        "can_edit_dossier": can_edit and (assessment.status == Status.DRAFT or assessment.dossier_returned),
        "can_submit": is_officer and assessment.is_editable,
        "can_appraise": is_appraiser and assessment.status == Status.SUBMITTED,
        "can_return": is_appraiser and assessment.status in (Status.SUBMITTED, Status.APPRAISED),
        "can_decide": is_decider and assessment.status == Status.APPRAISED,
        "can_revoke": is_decider and assessment.status == Status.RECOGNIZED,
        "can_open_exception": has_role(user, unit, Role.APPROVER)
        and assessment.status not in Assessment.DECIDED_STATUSES
        and not entry_open,
        "authority": authority,
    }


@login_required
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    perms = _permissions(request.user, assessment)
    rows = _rows(assessment, can_edit=perms["can_edit"])
    previous = services.previous_assessment(assessment)
    attendees = list(assessment.meeting_attendees or [])
    kind = "residential" if assessment.unit.kind == Unit.Kind.RESIDENTIAL_AREA else "institution"
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
            for name in services.FIGURE_FIELDS
        ],
        "previous": previous,
        "attendees": attendees + [{"name": "", "role": ""}] * 3,
        "meeting_roles": MEETING_ROLES[kind],
        "dossier_evidence": [e for e in assessment.evidence.all() if e.criterion_id is None],
        "evidence_form": EvidenceForm(codes=[r["criterion"].code for r in rows if r["answer"]]),
        "missing": services.missing_for_submission(assessment) if perms["can_submit"] else [],
        "deadline": services.entry_deadline(assessment),
        "registration": Registration.objects.filter(
            campaign=assessment.campaign, unit=assessment.unit
        ).first(),
        "timeline": timeline(assessment),
        "returned_rows": [r for r in rows if r["answer"] and r["answer"].is_returned],
        "max_evidence_mb": f"{settings.EVIDENCE_MAX_BYTES / 1048576:g}",
    }
    return render(request, TEMPLATES + "detail.html", context)


def _parse_entry(post, assessment: Assessment) -> tuple[dict, dict | None, dict | None]:
    """Read the entry form. ``only`` limits it to one row (an answer's id), "figures" or
    "dossier" — what the inline save sends; without it the whole form is read."""
    only = post.get("only", "")
    changes: dict[str, dict] = {}
    for answer in assessment.answers.select_related("criterion"):
        if only and only != str(answer.pk):
            continue
        data = {}
        for name, key in (
            ("value", f"value-{answer.pk}"),
            ("note", f"note-{answer.pk}"),
            ("number", f"number-{answer.pk}"),
            ("self_points", f"points-{answer.pk}"),
        ):
            if key in post:
                data[name] = post.get(key)
        if data:
            changes[answer.criterion.code] = data
    figures = None
    if only in ("", "figures"):
        figures = {name: post.get(name) for name in services.FIGURE_FIELDS if name in post} or None
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


@require_POST
@login_required
def assessment_save(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    require_role(request.user, assessment.unit, Role.OFFICER)
    as_json = _wants_json(request)
    try:
        expected = int(request.POST.get("version", ""))
    except ValueError:
        expected = 0  # no version: treated as stale, never as "overwrite anything"
    changes, figures, dossier = _parse_entry(request.POST, assessment)
    try:
        assessment = services.save_answers(
            assessment=assessment,
            by=request.user,
            expected_version=expected,
            changes=changes,
            figures=figures,
            dossier=dossier,
        )
    except services.ConflictError as e:
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
    missing = services.missing_for_submission(assessment)
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
    assessment = _assessment(request, pk)
    require_role(request.user, assessment.unit, Role.OFFICER)
    codes = list(assessment.answers.values_list("criterion__code", flat=True))
    form = EvidenceForm(request.POST, request.FILES, codes=codes)
    if not form.is_valid():
        messages.error(request, _("Choose a file to upload."))
        return _to_detail(assessment, "evidence")
    try:
        evidence = services.add_evidence(
            assessment=assessment,
            by=request.user,
            file=form.cleaned_data["file"],
            criterion_code=form.cleaned_data["criterion"],
        )
    except WorkflowError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, _("File “%(name)s” attached.") % {"name": evidence.original_name})
    return _to_detail(assessment, "evidence")


def _evidence(request: HttpRequest, pk: int) -> Evidence:
    queryset = Evidence.objects.select_related("assessment__unit", "assessment__campaign", "criterion")
    return get_for_user(request.user, queryset, pk, unit_field="assessment__unit")


@login_required
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    evidence = _evidence(request, pk)
    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=evidence.original_name, content_type=evidence.content_type
    )
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "sandbox"
    return response


@login_required
def evidence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = _evidence(request, pk)
    assessment = evidence.assessment
    require_role(request.user, assessment.unit, Role.OFFICER)
    if request.method != "POST":
        return render(
            request, TEMPLATES + "evidence_delete.html", {"evidence": evidence, "assessment": assessment}
        )
    try:
        services.delete_evidence(evidence=evidence, by=request.user)
    except WorkflowError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, _("File removed."))
    return _to_detail(assessment, "evidence")


# --- workflow actions ----------------------------------------------------------------------


@login_required
def assessment_submit(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    require_role(request.user, assessment.unit, Role.OFFICER)
    if request.method != "POST":
        context = {"assessment": assessment, "missing": services.missing_for_submission(assessment)}
        return render(request, TEMPLATES + "submit.html", context)
    try:
        version = int(request.POST.get("version", "")) if request.POST.get("version") else None
        services.submit_assessment(assessment=assessment, by=request.user, expected_version=version)
    except (WorkflowError, ValueError) as e:
        messages.error(request, str(e))
    else:
        messages.success(request, _("Submitted for appraisal. The assessment is now locked."))
    return _to_detail(assessment)


@login_required
def assessment_return(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    require_role(request.user, assessment.unit, Role.APPRAISER)
    answers = list(assessment.answers.select_related("criterion").order_by("criterion__order", "pk"))
    if request.method == "POST":
        items = {
            a.criterion.code: request.POST.get(f"reason-{a.pk}", "").strip()
            for a in answers
            if request.POST.get(f"reason-{a.pk}", "").strip()
        }
        if request.POST.get("reason-dossier", "").strip():
            items[services.DOSSIER] = request.POST["reason-dossier"].strip()
        try:
            services.return_assessment(assessment=assessment, by=request.user, items=items)
        except WorkflowError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, _("Returned to the officer; only the listed items reopen."))
            return _to_detail(assessment)
    return render(request, TEMPLATES + "return.html", {"assessment": assessment, "answers": answers})


@login_required
def assessment_appraise(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    require_role(request.user, assessment.unit, Role.APPRAISER)
    answers = list(assessment.answers.select_related("criterion").order_by("criterion__order", "pk"))
    points = _max_points(assessment.criteria_set)
    if request.method == "POST":
        values = {}
        for a in answers:
            data = {}
            if f"appraised-{a.pk}" in request.POST:
                data["appraised_value"] = request.POST[f"appraised-{a.pk}"]
            if f"apoints-{a.pk}" in request.POST:
                data["appraised_points"] = request.POST[f"apoints-{a.pk}"]
            if data:
                values[a.criterion.code] = data
        try:
            services.appraise_assessment(
                assessment=assessment, by=request.user, values=values, note=request.POST.get("note", "")
            )
        except WorkflowError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, _("Appraisal recorded. The assessment waits for the decision."))
            return _to_detail(assessment)
    rows = [
        {
            "answer": a,
            "choices": _value_choices(a.criterion),
            "selected": a.appraised_value or a.value,
            "max_points": points.get(a.criterion_id),
        }
        for a in answers
    ]
    return render(request, TEMPLATES + "appraise.html", {"assessment": assessment, "rows": rows})


@login_required
def assessment_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    authority = services.recognizing_authority(assessment.unit, assessment.campaign.year)
    if not (authority and services.is_approver_of(request.user, authority)):
        raise PermissionDenied
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.revoke_assessment(assessment=assessment, by=request.user, **form.cleaned_data)
        except WorkflowError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, _("The recognition was revoked and its certificates withdrawn."))
            return _to_detail(assessment)
    return render(request, TEMPLATES + "revoke.html", {"assessment": assessment, "form": form})


@login_required
def assessment_exception(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    require_role(request.user, assessment.unit, Role.APPROVER)
    form = ExceptionForm(request.POST or None, initial={"until": assessment.entry_exception_until})
    if request.method == "POST" and form.is_valid():
        try:
            services.open_entry_exception(
                assessment=assessment, by=request.user, until=form.cleaned_data["until"]
            )
        except WorkflowError as e:
            messages.error(request, str(e))
        else:
            messages.success(
                request,
                _("Entry is open for this unit until %(date)s.")
                % {"date": form.cleaned_data["until"].strftime("%d/%m/%Y")},
            )
            return _to_detail(assessment)
    context = {"assessment": assessment, "form": form, "deadline": services.entry_deadline(assessment)}
    return render(request, TEMPLATES + "exception.html", context)


def _decision_url(decision) -> str:
    try:
        return decision.get_absolute_url()
    except NoReverseMatch:
        return reverse("certification:assessment-list")


@login_required
def recognize_batch(request: HttpRequest) -> HttpResponse:
    """An approver picks appraised assessments of one recognizing body → one decision."""
    issuers = [u for u in home_units(request.user, [Role.APPROVER])]
    if not issuers and not request.user.is_superuser:
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    waiting = worklist.awaiting_decision(request.user)
    issuer_ids = sorted({a.authority.pk for a in waiting} | {u.pk for u in issuers})
    issuer_choices = list(Unit.objects.filter(pk__in=issuer_ids).order_by("path"))
    issuer = next((u for u in issuer_choices if str(u.pk) == source.get("issuer")), None)
    if source.get("issuer") and issuer is None:
        raise Http404
    if issuer is None and len(issuer_choices) == 1:
        issuer = issuer_choices[0]
    communes = sorted(
        {a.unit.ancestor_of_kind(Unit.Kind.COMMUNE) for a in waiting if a.authority == issuer} - {None},
        key=lambda u: u.name,
    )
    commune = next((u for u in communes if str(u.pk) == source.get("commune")), None)
    candidates = [
        a
        for a in waiting
        if issuer is not None
        and a.authority.pk == issuer.pk
        and (commune is None or a.unit.is_within(commune))
    ]
    choices = Assessment.objects.filter(pk__in=[a.pk for a in candidates]).select_related("unit", "campaign")
    title = next(
        (r.title for r in request.user.roles.all() if issuer and r.unit_id == issuer.pk and r.title), ""
    )
    initial = {
        "signer_title": title,
        "signer_name": request.user.get_full_name(),
        "place": issuer.name if issuer else "",
        "assessments": [int(x) for x in request.GET.getlist("assessment") if x.isdigit()],
    }
    form = RecognizeForm(request.POST or None, choices=choices, initial=initial)
    if request.method == "POST" and issuer is not None and form.is_valid():
        data = dict(form.cleaned_data)
        selected = list(data.pop("assessments"))
        outcome, reason = data.pop("outcome"), data.pop("reason")
        try:
            if outcome == "recognize":
                decision = services.recognize(assessments=selected, by=request.user, issuer=issuer, **data)
            else:
                decision = services.not_recognize(
                    assessments=selected, by=request.user, issuer=issuer, reason=reason, **data
                )
        except WorkflowError as e:
            messages.error(request, str(e))
        else:
            messages.success(
                request,
                _("Decision %(ref)s issued for %(count)s unit(s).")
                % {"ref": decision.reference, "count": len(selected)},
            )
            return redirect(_decision_url(decision))
    context = {
        "form": form,
        "issuer": issuer,
        "issuers": issuer_choices,
        "communes": communes,
        "commune": commune,
        "candidates": candidates,
    }
    return render(request, TEMPLATES + "recognize.html", context)


# --- registration --------------------------------------------------------------------------


def _officer_units(user):
    return visible_units(user, roles=[Role.OFFICER]).filter(
        kind__in=services.ASSESSABLE_KINDS, is_eligible=True, valid_to__isnull=True
    )


@login_required
def registration_create(request: HttpRequest) -> HttpResponse:
    if not has_any_role(request.user, Role.OFFICER) and not request.user.is_superuser:
        raise PermissionDenied
    campaigns = visible_campaigns(request.user).filter(status=Campaign.Status.OPEN)
    units = _officer_units(request.user).order_by("path")
    initial = {}
    unit_id, campaign_id = request.GET.get("unit"), request.GET.get("campaign")
    if unit_id:
        unit = get_for_user(request.user, Unit, unit_id)
        require_role(request.user, unit, Role.OFFICER)
        initial["unit"] = unit
        campaign = campaigns.filter(pk=campaign_id).first() if campaign_id else None
        campaign = campaign or campaigns.filter(province__in=unit.ancestors(include_self=True)).first()
        initial["campaign"] = campaign
        existing = Registration.objects.filter(campaign=campaign, unit=unit).first() if campaign else None
        if existing:
            for name in (
                "registered_on",
                "households_total",
                "households_registered",
                "resolution_ref",
                "plan_ref",
                "pledge_ref",
                "note",
            ):
                initial[name] = getattr(existing, name)
        elif unit.kind == Unit.Kind.RESIDENTIAL_AREA:
            initial["households_total"] = unit.household_count
    form = RegistrationForm(request.POST or None, campaigns=campaigns, units=units, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.register_unit(by=request.user, **form.cleaned_data)
        except WorkflowError as e:
            messages.error(request, str(e))
        else:
            unit = form.cleaned_data["unit"]
            messages.success(request, _("Registration of %(unit)s recorded.") % {"unit": unit})
            assessment = Assessment.objects.filter(campaign=form.cleaned_data["campaign"], unit=unit).first()
            if assessment:
                return _to_detail(assessment)
            return redirect(
                reverse("certification:assessment-list") + f"?campaign={form.cleaned_data['campaign'].pk}"
            )
    return render(request, TEMPLATES + "registration_form.html", {"form": form})


# --- my tasks ------------------------------------------------------------------------------


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    groups = worklist.task_groups(request.user)
    return render(
        request, TEMPLATES + "tasks.html", {"groups": groups, "total": sum(g.count for g in groups[:3])}
    )


# --- Excel ---------------------------------------------------------------------------------


def _default_campaign(user) -> Campaign | None:
    return visible_campaigns(user).filter(status=Campaign.Status.OPEN).order_by("-year").first()


@login_required
def excel_download(request: HttpRequest) -> HttpResponse:
    if not has_any_role(request.user, Role.OFFICER) and not request.user.is_superuser:
        raise PermissionDenied
    if request.GET.get("campaign"):
        campaign = get_campaign_for_user(request.user, request.GET["campaign"])
    else:
        campaign = _default_campaign(request.user)
    if campaign is None:
        messages.error(request, _("There is no open campaign."))
        return redirect("certification:assessment-list")
    data = excel.build_workbook(campaign=campaign, units=excel.units_for_export(request.user, campaign))
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{excel.export_filename(campaign)}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _pending_imports(request: HttpRequest) -> dict:
    return request.session.setdefault(EXCEL_SESSION_KEY, {})


@login_required
def excel_upload(request: HttpRequest) -> HttpResponse:
    """Upload → preview (nothing written) → confirm (atomic import)."""
    if not has_any_role(request.user, Role.OFFICER) and not request.user.is_superuser:
        raise PermissionDenied
    default = _default_campaign(request.user)
    if request.method == "POST" and request.POST.get("token"):
        return _excel_confirm(request)
    form = ExcelUploadForm(
        request.POST or None, request.FILES or None, initial={"year": default.year if default else None}
    )
    if request.method != "POST" or not form.is_valid():
        return render(request, TEMPLATES + "excel_upload.html", {"form": form, "campaign": default})
    upload = form.cleaned_data["file"]
    if upload.size > EXCEL_MAX_BYTES:
        form.add_error("file", _("The file is too large (at most 10 MB)."))
        return render(request, TEMPLATES + "excel_upload.html", {"form": form, "campaign": default})
    year = form.cleaned_data["year"]
    report = excel.parse_workbook(upload, year=year, user=request.user)
    context = {"report": report, "year": year, "name": upload.name}
    if report.ok and report.changed_plans:
        token = secrets.token_hex(16)
        upload.seek(0)
        path = default_storage.save(f"imports/{token}.xlsx", upload)
        pending = _pending_imports(request)
        pending[token] = {"path": path, "year": year}
        request.session.modified = True
        context["token"] = token
    return render(request, TEMPLATES + "excel_preview.html", context)


def _excel_confirm(request: HttpRequest) -> HttpResponse:
    pending = _pending_imports(request)
    entry = pending.pop(request.POST["token"], None)
    request.session.modified = True
    if entry is None:
        messages.error(request, _("This import was already done or has expired; upload the file again."))
        return redirect("certification:assessments-excel-upload")
    try:
        with default_storage.open(entry["path"], "rb") as fh:
            report = excel.import_workbook(fh, year=entry["year"], user=request.user)
    finally:
        default_storage.delete(entry["path"])
    if not report.ok or not report.applied:
        return render(request, TEMPLATES + "excel_preview.html", {"report": report, "year": entry["year"]})
    messages.success(
        request,
        _("Imported: %(units)s unit(s), %(answers)s answer(s), %(regs)s registration(s).")
        % {
            "units": len(report.changed_plans),
            "answers": report.answer_count,
            "regs": report.registration_count,
        },
    )
    return redirect(reverse("certification:assessment-list") + f"?year={entry['year']}")
