"""The one place that imports Django's Tasks API.

On Django 5.2 it comes from the ``django-tasks`` backport; on Django 6 this import becomes
``from django.tasks import ...`` and nothing else in the project changes (the backends are named in
``settings.TASKS``: ``django_tasks_db.DatabaseBackend`` or ``django_tasks_rq.RQBackend``).
"""

from django_tasks import TaskResultStatus, default_task_backend, task, task_backends

__all__ = ["TaskResultStatus", "default_task_backend", "task", "task_backends"]
