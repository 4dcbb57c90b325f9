"""Views: the workflow actions on assessments (submit, return, appraise, revoke, entry
exception) and the approver's batch recognition page. GET shows or confirms, POST acts."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from antt.errors import WorkflowError
from antt.text import person_name
from antt.web.actions import attempt
from antt.web.downloads import name_download
from certification.documents.decisions import preview_pdf
from certification.forms.assessments import ExceptionForm, RecognizeForm, RevokeForm
from certification.models import Answer, Assessment, Certificate, Decision
from certification.selectors import assessments, reasons, worklist
from certification.services import entry, rules, transitions
from certification.views.assessments import (
    TEMPLATES,
    Role,
    _assessment,
    _to_detail,
    posted_version,
)
from units.access import assignments_at, home_units
from units.authority import recognizing_authority
from units.models import Unit

PREVIEW = "preview"  # the name of the "Xem trước (dự thảo)" button on a decision form


def signer_initial(request: HttpRequest, issuer: Unit | None) -> dict[str, Any]:
    """A decision form's signature block, pre-filled from the approver's role at ``issuer``."""
    title = next((a.title for a in assignments_at(request.user, issuer) if a.title), "") if issuer else ""
    return {
        "signer_title": title,
        "signer_name": person_name(request.user),
        "place": issuer.name if issuer else "",
    }


def draft_response(data: bytes) -> HttpResponse:
    """A draft decision shown in the browser (marked DỰ THẢO, no number): nothing was saved."""
    return name_download(
        HttpResponse(data, content_type="application/pdf"), "du-thao-quyet-dinh.pdf", inline=True
    )


def revocation_draft(assessment: Assessment, issuer: Unit, fields: dict[str, Any]) -> HttpResponse:
    """The draft of the decision revoking ``assessment``'s certificates still in force (the
    "Xem trước" of the revocation pages: the assessment's and the certificate's)."""
    certificates = assessment.certificates.filter(status=Certificate.Status.VALID)
    return draft_response(
        preview_pdf(
            kind=Decision.Kind.REVOCATION,
            campaign=assessment.campaign,
            issuer=issuer,
            certificates=certificates.order_by("register_number"),
            **fields,
        )
    )


@login_required
def assessment_submit(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk, Role.OFFICER)
    if request.method != "POST":
        context = {"assessment": assessment, "missing": assessments.missing_for_submission(assessment)}
        return render(request, TEMPLATES + "submit.html", context)
    with attempt(request):
        transitions.submit_assessment(
            assessment=assessment, by=request.user, expected_version=posted_version(request)
        )
        messages.success(request, _("Submitted for appraisal. The assessment is now locked."))
    return _to_detail(assessment)


def _answers(assessment: Assessment) -> list[Answer]:
    return list(assessment.answers.select_related("criterion").order_by("criterion__order", "pk"))


@login_required
def assessment_return(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk, Role.APPRAISER)
    answers = _answers(assessment)
    if request.method == "POST":
        items = {
            a.criterion.code: request.POST.get(f"reason-{a.pk}", "").strip()
            for a in answers
            if request.POST.get(f"reason-{a.pk}", "").strip()
        }
        if request.POST.get("reason-dossier", "").strip():
            items[rules.DOSSIER] = request.POST["reason-dossier"].strip()
        with attempt(request):
            transitions.return_assessment(assessment=assessment, by=request.user, items=items)
            messages.success(request, _("Returned to the officer; only the listed items reopen."))
            return _to_detail(assessment)
    rows = [{"answer": a} for a in answers]  # the rows of _answers_form.html, as appraise has them
    context = {"assessment": assessment, "rows": rows, "reasons": reasons.for_assessment(assessment)}
    return render(request, TEMPLATES + "return.html", context)


@login_required
def assessment_appraise(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk, Role.APPRAISER)
    answers = _answers(assessment)
    points = assessments.max_points_by_criterion(assessment.criteria_set)
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
        with attempt(request):
            transitions.appraise_assessment(
                assessment=assessment, by=request.user, values=values, note=request.POST.get("note", "")
            )
            messages.success(request, _("Appraisal recorded. The assessment waits for the decision."))
            return _to_detail(assessment)
    rows = [
        {
            "answer": a,
            "choices": assessments.value_choices(a.criterion),
            "selected": a.appraised_value or a.value,
            "max_points": points.get(a.criterion_id),
        }
        for a in answers
    ]
    context = {"assessment": assessment, "rows": rows, "reasons": reasons.for_assessment(assessment)}
    return render(request, TEMPLATES + "appraise.html", context)


@login_required
def assessment_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    authority = recognizing_authority(assessment.unit, assessment.campaign.year)
    if not (authority and assessments.is_approver_of(request.user, authority)):
        raise PermissionDenied
    form = RevokeForm(request.POST or None, initial=signer_initial(request, authority))
    if request.method == "POST" and form.is_valid():
        if PREVIEW in request.POST:
            return revocation_draft(assessment, authority, form.cleaned_data)
        try:
            decision = transitions.revoke_assessment(
                assessment=assessment, by=request.user, **form.cleaned_data
            )
        except WorkflowError as e:
            messages.error(request, str(e))
        else:
            messages.success(
                request,
                _("The recognition was revoked by decision %(ref)s and its certificates withdrawn.")
                % {"ref": decision.reference},
            )
            return redirect(decision)
    return render(request, TEMPLATES + "revoke.html", {"assessment": assessment, "form": form})


@login_required
def assessment_exception(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk, Role.APPROVER)
    form = ExceptionForm(request.POST or None, initial={"until": assessment.entry_exception_until})
    if request.method == "POST" and form.is_valid():
        with attempt(request):
            entry.open_entry_exception(
                assessment=assessment, by=request.user, until=form.cleaned_data["until"]
            )
            messages.success(
                request,
                _("Entry is open for this unit until %(date)s.")
                % {"date": form.cleaned_data["until"].strftime("%d/%m/%Y")},
            )
            return _to_detail(assessment)
    context = {"assessment": assessment, "form": form, "deadline": assessments.entry_deadline(assessment)}
    return render(request, TEMPLATES + "exception.html", context)


@login_required
def recognize_batch(request: HttpRequest) -> HttpResponse:
    """An approver picks appraised assessments of one recognizing body → one decision."""
    if not home_units(request.user, [Role.APPROVER]) and not request.user.is_superuser:
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    batch = worklist.decision_batch(
        request.user, issuer_id=source.get("issuer"), commune_id=source.get("commune")
    )
    issuer = batch.issuer
    initial = {
        **signer_initial(request, issuer),
        "assessments": [int(x) for x in request.GET.getlist("assessment") if x.isdigit()],
    }
    form = RecognizeForm(request.POST or None, choices=batch.candidates, initial=initial)
    verdicts = reasons.for_assessments(batch.candidates)
    overrides = {
        pk: request.POST.get(f"override-{pk}", "").strip() for pk in verdicts if request.method == "POST"
    }
    if request.method == "POST" and issuer is not None and form.is_valid():
        data = dict(form.cleaned_data)
        selected = list(data.pop("assessments"))
        outcome, reason = data.pop("outcome"), data.pop("reason")
        if PREVIEW in request.POST:
            kind = Decision.Kind.RECOGNITION if outcome == "recognize" else Decision.Kind.NON_RECOGNITION
            campaign = selected[0].campaign
            return draft_response(
                preview_pdf(
                    kind=kind,
                    campaign=campaign,
                    issuer=issuer,
                    assessments=sorted(selected, key=lambda a: a.unit.code),
                    reason=reason if kind == Decision.Kind.NON_RECOGNITION else "",
                    **data,
                )
            )
        with attempt(request):
            if outcome == "recognize":
                decision = transitions.recognize(
                    assessments=selected,
                    by=request.user,
                    issuer=issuer,
                    overrides={a.pk: overrides.get(a.pk, "") for a in selected},
                    **data,
                )
            else:
                decision = transitions.not_recognize(
                    assessments=selected, by=request.user, issuer=issuer, reason=reason, **data
                )
            messages.success(
                request,
                _("Decision %(ref)s issued for %(count)s unit(s).")
                % {"ref": decision.reference, "count": len(selected)},
            )
            return redirect(decision)
    if request.method == "POST" and form.has_error("assessments", "invalid_choice"):
        # Chosen in a page shown before another decision took them (a second click, a colleague):
        # the list below no longer holds them, so say why nothing was issued.
        messages.error(
            request,
            _(
                "Some of the chosen assessments are no longer waiting for a decision (decided "
                "meanwhile): nothing was issued. Check the list and choose again."
            ),
        )
    context = {
        "form": form,
        "issuer": issuer,
        "issuers": batch.issuers,
        "communes": batch.communes,
        "commune": batch.commune,
        "candidates": batch.candidates,
        "rows": [(a, verdicts[a.pk], overrides.get(a.pk, "")) for a in batch.candidates],
    }
    return render(request, TEMPLATES + "recognize.html", context)
