import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "prod-" + "k9Xq2LmZ" * 8,
    "ALLOWED_HOSTS": "help.example.com",
    "EMAIL_HOST": "smtp.example.com",
    "SITE_URL": "https://help.example.com",
}
EMAIL_URL = {"EMAIL_URL": "smtps://support%40example.com:p%40ss%3Aword@smtp.example.com"}


def _manage(*args, **env):
    dropped = {
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "EMAIL_HOST",
        "EMAIL_URL",
        "SITE_URL",
    }
    full_env = {k: v for k, v in os.environ.items() if k not in dropped}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120
    )


def test_deploy_check_is_clean_with_production_variables():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", **{**PRODUCTION, "SECRET_KEY": ""})
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_an_smtp_server():
    result = _manage("check", **{**PRODUCTION, "EMAIL_HOST": "", "EMAIL_URL": ""})
    assert (
        result.returncode != 0
        and "EMAIL_URL (smtp://user:password@host:587) or EMAIL_HOST must be set" in result.stderr
    )


def test_an_email_url_alone_is_enough_for_production():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **{**PRODUCTION, "EMAIL_HOST": "", **EMAIL_URL})
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_email_url_gives_the_smtp_server_and_the_decoded_credentials():
    code = "import json; from django.conf import settings; print(json.dumps(settings.MAILERS['default']['OPTIONS']))"
    result = _manage("shell", "--no-imports", "-c", code, **{**PRODUCTION, "EMAIL_HOST": "", **EMAIL_URL})
    options = json.loads(result.stdout)
    assert options["host"] == "smtp.example.com" and options["port"] == 465 and options["use_ssl"] is True
    assert options["username"] == "support@example.com" and options["password"] == "p@ss:word"


def test_production_refuses_to_start_without_the_site_url_emails_link_to():
    result = _manage("check", **{**PRODUCTION, "SITE_URL": ""})
    assert result.returncode != 0 and "SITE_URL must be set when DEBUG is off" in result.stderr


def test_the_deploy_check_warns_about_a_site_url_without_https():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", **{**PRODUCTION, "SITE_URL": "http://help.example.com"}
    )
    assert result.returncode != 0 and "tickets.W001" in result.stderr


@pytest.mark.parametrize(
    "name,value",
    [
        ("DEBUG", "maybe"),
        ("CONN_MAX_AGE", "forever"),
        ("EMAIL_URL", "mailto:support@example.com"),
        ("SITE_URL", "help.example.com"),
        ("SITE_URL", "https://help.example.com/help/"),
        ("EMAIL_MAX_ATTEMPTS", "0"),
    ],
)
def test_bad_environment_values_are_reported_clearly(name, value):
    result = _manage("check", **{name: value})
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr and name in result.stderr


def test_a_bad_email_url_is_not_repeated_in_the_error():
    result = _manage("check", EMAIL_URL="smtp://support:secret-password@smtp.example.com:port")
    assert result.returncode != 0 and "EMAIL_URL must look like" in result.stderr
    assert "secret-password" not in result.stderr
