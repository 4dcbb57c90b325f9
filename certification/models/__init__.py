from certification.models.assessment import Answer, Assessment, Evidence, Registration
from certification.models.audit import AuditEvent
from certification.models.campaign import Campaign
from certification.models.criteria import CriteriaSet, Criterion, GradeBand, ScoreItem, ScoreSheet
from certification.models.documents import Certificate, Decision, DecisionCounter, PrintJob
from certification.models.jobs import ImportJob
from certification.models.results import Result, ScoringChunk, ScoringRun

__all__ = [
    "Answer",
    "Assessment",
    "AuditEvent",
    "Campaign",
    "Certificate",
    "CriteriaSet",
    "Criterion",
    "Decision",
    "DecisionCounter",
    "Evidence",
    "GradeBand",
    "ImportJob",
    "PrintJob",
    "Registration",
    "Result",
    "ScoreItem",
    "ScoreSheet",
    "ScoringChunk",
    "ScoringRun",
]
