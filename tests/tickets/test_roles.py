"""The desk's role fixtures are what they claim: the permission tests of the desk stand on them."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_agents_belong_to_their_own_queue_only(agent_a, agent_b, queue_a, queue_b):
    assert list(queue_a.members.all()) == [agent_a] and list(queue_b.members.all()) == [agent_b]
    assert agent_a.groups.get().name == "Agent" and agent_a.is_staff and not agent_a.is_superuser


def test_agents_may_view_tickets_and_supervisors_may_also_configure_queues(agent_a, supervisor):
    assert agent_a.has_perm("tickets.view_ticket") and not agent_a.has_perm("tickets.change_queue")
    assert supervisor.has_perm("tickets.view_ticket") and supervisor.has_perm("tickets.change_problemtype")
    assert not agent_a.has_perm("kb.change_article") and not supervisor.has_perm("kb.publish_article")


def test_the_kb_editor_edits_articles_and_sees_no_tickets(kb_editor):
    assert kb_editor.has_perm("kb.change_article") and not kb_editor.has_perm("tickets.view_ticket")


def test_the_customer_fixture_opens_their_ticket_in_queue_a(customer, queue_a, outsider, client):
    assert customer.ticket.queue == queue_a
    assert customer.client.get(reverse("tickets:ticket", args=[customer.ticket.reference])).status_code == 200
    client.force_login(outsider)
    assert client.get(reverse("tickets:ticket", args=[customer.ticket.reference])).status_code == 404
    assert client.get(reverse("admin:tickets_ticket_changelist")).status_code == 302
