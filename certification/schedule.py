"""Celery beat entries of the deployment (no Django import: settings may import it), the other
apps' by their task's name only (the API's trail: ``api.tasks``).

In ``antt/settings.py``::

    from certification.schedule import BEAT_SCHEDULE
    CELERY_BEAT_SCHEDULE = {**BEAT_SCHEDULE}
"""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Just after midnight (Asia/Ho_Chi_Minh): campaigns whose assessment period ended yesterday.
    "score-due-campaigns": {
        "task": "certification.tasks.scoring.score_due_campaigns_task",
        "schedule": crontab(hour=0, minute=30),
    },
    # A run whose chunk message was lost with a killed worker is sent again (idempotent).
    "resume-stalled-scoring-runs": {
        "task": "certification.tasks.scoring.resume_stalled_runs_task",
        "schedule": crontab(minute="*/5"),
    },
    # The same for a print job whose step's message was lost (idempotent steps).
    "resume-stalled-print-jobs": {
        "task": "certification.tasks.printing.resume_stalled_print_jobs_task",
        "schedule": crontab(minute="2-59/5"),
    },
    # Import previews never confirmed (IMPORT_PREVIEW_TTL_SECONDS).
    "sweep-import-previews": {
        "task": "certification.tasks.housekeeping.sweep_import_previews_task",
        "schedule": crontab(minute=17),
    },
    # The API's per-request trail older than API_REQUEST_DAYS, each night.
    "sweep-api-requests": {
        "task": "api.tasks.sweep_api_requests_task",
        "schedule": crontab(hour=2, minute=40),
    },
    # Each morning, what waits for each user (only with EMAIL_DIGESTS=1).
    "send-worklist-digests": {
        "task": "certification.tasks.digests.send_worklist_digests_task",
        "schedule": crontab(hour=7, minute=0),
    },
}
