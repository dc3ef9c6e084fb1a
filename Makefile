# Two commands do everything on a fresh machine: `make run` and `make test` (which also installs Chromium and a CJK
# font from Debian when they are missing).
PYTHON ?= $(shell command -v python3.13 >/dev/null 2>&1 && echo python3.13 || (command -v python3.12 >/dev/null 2>&1 && echo python3.12 || echo python3))
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: install browser migrate demo run test lint messages static serve-prod

$(BIN)/.installed: requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

install: $(BIN)/.installed

# What the browser tests need from Debian, installed only when missing: Chromium (never a downloaded browser) and a
# CJK font so screenshots show Chinese. apt-get runs as root, or through sudo.
browser:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
	  if ! command -v apt-get >/dev/null 2>&1; then \
	    echo "make test needs$$missing, and this machine has no apt-get: install them, then run make test again" >&2; exit 1; \
	  elif [ "$$(id -u)" = 0 ]; then as_root=""; \
	  elif command -v sudo >/dev/null 2>&1; then as_root="sudo"; \
	  else echo "make test needs$$missing: run it as root, or install sudo, or apt-get install$$missing as root" >&2; exit 1; \
	  fi; \
	  echo "== installing$$missing from Debian"; \
	  $$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo_content
	$(BIN)/python manage.py create_demo_staff
	$(BIN)/python manage.py load_demo_tickets

run: demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Translators: refresh the catalogues after changing strings, then commit locale/ (the .mo files included).
messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=staticfiles --ignore=bench
	$(BIN)/python manage.py makemessages -d djangojs -l zh_Hans -l en --ignore=.venv --ignore=staticfiles
	$(BIN)/python manage.py compilemessages --ignore=.venv

static: install
	DEBUG=0 SECRET_KEY=collectstatic-only EMAIL_HOST=collectstatic-only $(BIN)/python manage.py collectstatic --noinput --verbosity 0

# Production-style server (set SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL, EMAIL_URL in the environment).
serve-prod: static migrate
	DEBUG=0 $(BIN)/granian --interface wsgi --workers 2 --blocking-threads 4 --host $(HOST) --port $(PORT) helpdesk.wsgi:application
