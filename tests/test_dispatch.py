"""dispatch.py names the tasks the domain asks for after commit; tasks.py, a leaf, defines them."""

from unittest import mock

import pytest
from celery import current_app
from django.db import transaction

from takedowns import dispatch, tasks


@pytest.mark.parametrize("name", dispatch.TASKS)
def test_every_task_the_domain_names_is_a_registered_task(name):
    assert current_app.tasks[name].name == name
    assert getattr(tasks, name.rsplit(".", 1)[1]).name == name


@pytest.mark.django_db(transaction=True)
def test_a_dispatch_is_published_after_commit_and_not_for_a_rolled_back_change():
    with mock.patch.object(tasks.route_notice, "apply_async") as publish:
        with transaction.atomic():
            dispatch.after_commit(dispatch.ROUTE_NOTICE, notice_id=7)
            assert not publish.called
        publish.assert_called_once_with(kwargs={"notice_id": 7})
        with pytest.raises(RuntimeError), transaction.atomic():
            dispatch.after_commit(dispatch.ROUTE_NOTICE, notice_id=8)
            raise RuntimeError("rolled back")
    assert publish.call_count == 1
