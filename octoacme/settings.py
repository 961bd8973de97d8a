"""One settings file, every value from the environment (or `.env`) with a safe local default.

With nothing set the app runs on a SQLite file under `var/` and prints mail to the console:
the embedded default that `make run` uses. Production hardening is switched on by the
environment (DEBUG=false), never by a second settings file.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()


def _duration(value: str) -> timedelta:
    """'24h', '30m', '90s', '2d' or plain seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    value = value.strip().lower()
    if value and value[-1] in units:
        return timedelta(seconds=float(value[:-1]) * units[value[-1]])
    return timedelta(seconds=float(value))


environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
# The default key is only good for a laptop; DEBUG=false refuses to start without a real one.
SECRET_KEY = env.str("SECRET_KEY", default="insecure-local-development-key-change-me")
if not DEBUG and SECRET_KEY.startswith("insecure-"):
    raise environ.ImproperlyConfigured("Set SECRET_KEY when DEBUG is false.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Production hardening follows DEBUG; each piece can still be set on its own (for example
# SECURE_SSL_REDIRECT=false where TLS ends at a proxy that already redirects).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Probes inside the cluster speak plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Empty = embedded mode: Celery uses a broker in files under var/, so one machine with no
# Redis still runs reminders and follow-ups (see `make run`).
REDIS_URL = env.str("REDIS_URL", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "axes",
    # The project package as an app only so the admin finds octoacme/admin.py (axes' admin,
    # with its action behind a permission); it has no models.
    "octoacme",
    "notifications",
    "releases",
    "signoffs",
    "api",
    "insights",
]

MIDDLEWARE = [
    "octoacme.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Times in the signed-in person's own zone (releases/zones.py).
    "releases.zones.TimeZoneMiddleware",
    # Cache-Control: private, no-store on everything a signed-in person is shown.
    "octoacme.headers.PrivatePagesMiddleware",
    # Every page needs a signed-in user unless its view says @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The Content-Security-Policy below, on every response.
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its lockout page.
    "axes.middleware.AxesMiddleware",
]

if not DEBUG:
    # gunicorn serves the collected static files itself, compressed and with hashed names
    # (runserver does it in development).
    MIDDLEWARE.insert(2, "whitenoise.middleware.WhiteNoiseMiddleware")

# Scripts, styles, images, fonts and forms from this site only; no inline script or style
# (the pages keep theirs in static/), no plugins, no framing. Django's admin works under it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Only scripts/benchmark.py sets it: to its own bench_urls (scripts/), which adds two bare views.
ROOT_URLCONF = env.str("ROOT_URLCONF", default="octoacme.urls")
WSGI_APPLICATION = "octoacme.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "releases.context_processors.navigation",
            ],
        },
    },
]

# Rendered dashboard cards, keyed by (release id, revision) so a key never names stale
# content: each process keeps its own copy and no invalidation has to cross processes. The
# timeout bounds how long a card shows what lives outside the release (a renamed user).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fragments",
        "TIMEOUT": 600,
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
}

# Emails show times in each recipient's zone; the outbox asks this function for them.
OUTBOX_TIME_ZONES = "releases.zones.zones_of"

# API requests a minute per token (api/auth.py), counted in the default cache: per process
# with locmem, so a shared cache makes it exact across gunicorn workers. 0 turns it off.
API_RATE_LIMIT = env.int("API_RATE_LIMIT", default=120)

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'octoacme.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the embedded worker share the file: wait for the lock instead of
    # failing, and take it at the start of a transaction so two writers cannot deadlock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3's pool keeps connections open itself; Django requires CONN_MAX_AGE=0 with it.
    if env.bool("DATABASE_POOL", default=False):
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = True
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username + address is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
# Sign-in throttling: after this many failures for one username from one address, that pair
# is locked out for the cool-off time (a lockout per username alone would let anyone lock
# a colleague out).
AXES_FAILURE_LIMIT = env.int("SIGNIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = _duration(env.str("SIGNIN_COOLOFF", default="15m"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The address of that pair, found by django-ipware. PROXY_COUNT is the number of trusted
# proxies in front of gunicorn; each appends the address it got the request from to
# X-Forwarded-For, so the client is the PROXY_COUNT-th entry from the right and whatever is
# further left was written by the client itself. ipware counts only the proxies named in the
# header (the nearest one is REMOTE_ADDR), hence one fewer; not strict, so a forged prefix is
# skipped instead of sending everyone who forges one to the proxy's address. 0: no proxy,
# X-Forwarded-For is ignored.
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if PROXY_COUNT else ("REMOTE_ADDR",)
)
AXES_IPWARE_PROXY_ORDER = "left-most"
AXES_IPWARE_PROXY_COUNT = max(PROXY_COUNT - 1, 0)
IPWARE_STRICT = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "my-work"
LOGOUT_REDIRECT_URL = "login"

# Embedded default: every email is a file under var/mail/, where a person can read it.
EMAIL_URL = env.str("EMAIL_URL", default=f"filemail://{VAR_DIR / 'mail'}")
EMAIL_CONFIG = environ.Env.email_url_config(EMAIL_URL)
if EMAIL_URL.startswith("filemail://"):
    # django-environ drops the leading slash of an absolute path; keep the path as written
    # (a relative one is taken from the project folder).
    EMAIL_CONFIG["EMAIL_FILE_PATH"] = str(BASE_DIR / EMAIL_URL.removeprefix("filemail://"))
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="OctoAcme Releases <releases@localhost>")
EMAIL_SUBJECT_PREFIX = env.str("EMAIL_SUBJECT_PREFIX", default="[OctoAcme Releases] ")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
# Who hears about incidents and rollbacks, besides the release's own roles.
ONCALL_EMAILS = env.list("ONCALL_EMAILS", default=["oncall@example.com"])


# At most one reminder digest per person per interval; escalate to the Project Manager after
# this many reminders about a gate, or when the deployment window is under a day away.
SIGNOFF_REMINDER_INTERVAL = _duration(env.str("SIGNOFF_REMINDER_INTERVAL", default="24h"))
SIGNOFF_REMINDER_ESCALATE_AFTER = env.int("SIGNOFF_REMINDER_ESCALATE_AFTER", default=2)
SIGNOFF_ESCALATE_WINDOW = _duration(env.str("SIGNOFF_ESCALATE_WINDOW", default="24h"))
# Each hand-off's due and overdue times, as hours after its phase starts (staging for the QA
# Lead's, the production deploy for the others), from the guide's timing. Due: its sender is
# reminded (its receiver, once sent and not yet acknowledged); overdue: escalated to the
# Project Manager. Override one with HANDOFF_DUE_<KEY>=due,overdue (e.g.
# HANDOFF_DUE_PROJECT_MANAGER_TO_CSM=0,2).
HANDOFF_DUE: dict[str, tuple[int, int]] = {
    # "Pre-deployment gate": before the Project Manager's confirmation, which waits for it.
    "qa-to-devops": (24, 48),
    # "Post-deployment": within a few hours of the deploy.
    "devops-to-project-manager": (2, 4),
    # "Immediately after production deployment": within the hour.
    "project-manager-to-csm": (0, 1),
    # "24-48 hours post-release".
    "csm-to-product-manager": (24, 48),
}
for _key in HANDOFF_DUE:
    _hours = env.list("HANDOFF_DUE_" + _key.upper().replace("-", "_"), cast=int, default=[])
    if _hours:
        HANDOFF_DUE[_key] = (_hours[0], _hours[-1])
# An incident's action item is in its owner's reminder on its due date and escalated to the
# Project Manager once it is this late.
ACTION_ITEM_ESCALATE_AFTER = _duration(env.str("ACTION_ITEM_ESCALATE_AFTER", default="24h"))
# Delivery retries with exponential backoff, then the notice is marked failed for an admin.
NOTIFICATION_MAX_TRIES = env.int("NOTIFICATION_MAX_TRIES", default=8)
NOTIFICATION_RETRY_BASE = _duration(env.str("NOTIFICATION_RETRY_BASE", default="60s"))
# A notice claimed by a worker that died is handed out again after this long.
NOTIFICATION_LEASE = _duration(env.str("NOTIFICATION_LEASE", default="10m"))
# Outgoing webhooks (#15): a 5 s timeout per attempt, retries with a doubling backoff, then
# failed for an admin to redeliver. Targets on loopback, private, link-local or reserved
# addresses are refused unless allowed here (a test or an on-premises chat server).
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=5.0)
WEBHOOK_MAX_TRIES = env.int("WEBHOOK_MAX_TRIES", default=8)
WEBHOOK_RETRY_BASE = _duration(env.str("WEBHOOK_RETRY_BASE", default="30s"))
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = str(VAR_DIR / "broker")
    os.makedirs(_queue_dir, exist_ok=True)  # kombu expects the folder to exist
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _queue_dir,
        "data_folder_out": _queue_dir,
        "processed_folder": _queue_dir,
        "store_processed": False,
        # kombu keeps its exchange table in ./control unless told otherwise.
        "control_folder": str(VAR_DIR / "broker" / "control"),
    }
elif CELERY_BROKER_URL.startswith("redis"):
    # Fail fast when Redis is away: the outbox sweep delivers once it is back.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 3, "socket_timeout": 10}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged after it ran, so a worker killed mid-task leaves it to another;
# the tasks are safe to run twice (the outbox claim makes sure of that).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Due times live in the database; beat only wakes the sweeps that read them. No long
# countdown tasks: Redis would hand them out again after its visibility timeout.
CELERY_BEAT_SCHEDULE = {
    "deliver-notifications": {"task": "notifications.tasks.deliver_due", "schedule": 30.0},
    "deliver-webhooks": {"task": "notifications.tasks.deliver_webhooks_due", "schedule": 30.0},
    "send-reminders": {"task": "releases.tasks.send_reminders", "schedule": 60.0},
    "run-follow-ups": {"task": "releases.tasks.run_follow_ups", "schedule": 120.0},
    "chase": {"task": "releases.tasks.chase", "schedule": 60.0},
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# One line per event on stdout, with the level and the request id (also sent back to the
# client as X-Request-ID, so a user's report can be found in the logs).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "octoacme.logs.RequestIdFilter"},
        "request_event": {"()": "octoacme.logs.RequestEventFilter"},
    },
    "formatters": {
        "line": {
            "()": "octoacme.logs.OneLineFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s request_id=%(request_id)s %(message)s",
        }
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request_id"],
            "formatter": "line",
        }
    },
    "root": {"handlers": ["stdout"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # axes logs every sign-in at INFO; lockouts (WARNING) are what operators need.
        "axes": {"level": "WARNING"},
        # Django's own console handler would print each of its lines a second time in
        # development: every line goes through the root's handler alone.
        "django": {"handlers": [], "level": "INFO"},
        # Django's one record per response of 400 or more: method, path, status, user and
        # reason on one line; no traceback for a refusal, which is not an error.
        "django.request": {"filters": ["request_event"]},
        "django.security.csrf": {"filters": ["request_event"]},
        "django.security.DisallowedHost": {"filters": ["request_event"]},
    },
}
