import pytest


def test_health_check_answers_without_the_database(client):
    response = client.get("/healthz")  # no database fixture: any query would raise
    assert response.status_code == 200 and response.content == b"ok"


def test_favicon_points_at_the_logo(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("img/logo.svg")


@pytest.mark.django_db
def test_admin_names_the_product(client, superuser):
    client.force_login(superuser)
    html = client.get("/admin/", headers={"accept-language": "en"}).content.decode()
    assert "Helpdesk administration" in html and "Django administration" not in html
