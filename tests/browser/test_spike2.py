def test_spike2(db):
    from antt.celery import app
    from certification.tasks.scoring import rescore_unit_task
    print(app.conf.task_always_eager, rescore_unit_task.app is app, rescore_unit_task.app.conf.task_always_eager)
    from django.conf import settings
    print(settings.CELERY_TASK_ALWAYS_EAGER, repr(settings.CELERY_BROKER_URL))
