from .assessment import Answer, Assessment, Evidence, Registration
from .audit import AuditEvent
from .campaign import Campaign
from .criteria import CriteriaSet, Criterion, GradeBand, ScoreItem, ScoreSheet
from .documents import Certificate, Decision, DecisionCounter, PrintJob
from .results import Result, ScoringChunk, ScoringRun

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
    "PrintJob",
    "Registration",
    "Result",
    "ScoreItem",
    "ScoreSheet",
    "ScoringChunk",
    "ScoringRun",
]
