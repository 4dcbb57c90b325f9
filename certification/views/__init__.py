"""Views by area: criteria (sets, campaigns), assessments (entry, workflow), scoring,
documents (decisions, certificates, reports), dashboard (home pages, notifications), public
(certificate verification)."""
