"""Admin by area; every certification ``ModelAdmin`` derives from ``base.SuperuserOnlyAdmin``."""

from certification.admin import assessments, criteria, documents, results  # noqa: F401 - registers
