"""Celery tasks: thin adapters (ids in, one step, send what comes next). Each worker imports
the modules listed in ``antt.celery.TASK_MODULES``."""
