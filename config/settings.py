"""Settings, read from the environment with defaults that run the demo.

Every knob a deployment or a test needs is an environment variable; the
README lists them.
"""
import hashlib
import os
import socket
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


DEBUG = env_bool("DJANGO_DEBUG", False)

# Values published in this repository (the demo's and the old compose file's): never accepted with debug off.
PUBLISHED_SECRETS = {
    "dev-only-insecure-key-change-me", "demo-payment-secret",
    "change-me-in-production", "change-me-too", "change-me-as-well",
}
GENERATE = "python -c 'import secrets; print(secrets.token_urlsafe(50))'"


def secret(name: str, demo_default: str, min_length: int) -> str:
    """A secret from the environment. With debug on (the demo) a built-in default serves; with debug
    off (production, the tests, the benchmark) start-up stops, naming the variable, when it is
    missing, a published default or shorter than ``min_length``."""
    value = os.environ.get(name, "")
    if DEBUG and not value:
        return demo_default
    if not value:
        problem = "is not set"
    elif value in PUBLISHED_SECRETS:
        problem = "is a default published in this repository"
    elif len(value) < min_length:
        problem = f"is shorter than {min_length} characters"
    elif len(set(value)) < 5:
        problem = "is not random (fewer than 5 different characters)"
    else:
        return value
    raise ImproperlyConfigured(f"{name} {problem}; with DJANGO_DEBUG off it must be a secret of your own. "
                               f"Generate one with: {GENERATE}")


SECRET_KEY = secret("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me", 50)

# Two demos (debug on) on one machine share its Redis: each checkout gets its own
# channel-layer and cache prefix and its own queue, so they never take each
# other's events or tasks; the QA commands in the same checkout agree with it.
# Production (debug off) keeps "asgi" and "fulfillment" unless told otherwise.
DEMO_ID = hashlib.sha256(str(Path(__file__).resolve().parent.parent).encode()).hexdigest()[:8]
DEFAULT_PREFIX = f"demo-{DEMO_ID}" if DEBUG else "asgi"
DEFAULT_QUEUE = f"fulfillment-demo-{DEMO_ID}" if DEBUG else "fulfillment"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [
    origin for origin in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if origin
]

INSTALLED_APPS = [
    "daphne",
    "csp",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "dashboard",
    "commerce",
    "certificates",
    "realtime",
    "support",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.logcontext.RequestContextMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "asgi.application"

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
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        # 0 (a connection per request) wherever Daphne serves HTTP: Django's ASGI
        # handler runs each request on a new thread, whose kept connection would
        # never be reused or closed. Processes that reuse their threads (gunicorn,
        # Celery workers, a node's socket servers) get 60 from devstack and the
        # compose file: a new PostgreSQL connection per checkout or task costs the
        # database a process start each time.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg prepares a statement once a connection has run it
    # DATABASE_PREPARE_THRESHOLD times (every checkout runs the same ones), so the
    # database stops parsing and planning it each time. Django turns preparing
    # off unless asked (prepare_threshold None), for transaction-pooling proxies
    # such as PgBouncer, where a connection's prepared statements are not its
    # own: 0 turns it off behind one. Preparing needs server-side binding.
    DATABASES["default"]["OPTIONS"] = {
        "server_side_binding": True,
        "prepare_threshold": env_int("DATABASE_PREPARE_THRESHOLD", 5) or None,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write
    # lock when a transaction starts, so two writers queue on the timeout
    # instead of failing with "database is locked" when a read upgrades. The
    # backend hands that lock from one of our transactions to the next as soon
    # as it is free (config/sqlite_backend), instead of SQLite's sleeping retries.
    DATABASES["default"]["ENGINE"] = "config.sqlite_backend"
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env_float("DATABASE_SQLITE_TIMEOUT", 30),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not :memory:, so that worker and server processes started by
    # the tests see the same test database.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("DJANGO_TEST_SQLITE", str(VAR_DIR / "test-db.sqlite3"))
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/dashboard/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en"
# The learner's language: the browser's (Accept-Language) or the one chosen in the
# page's switcher; Arabic is written right to left. Catalogs in locale/.
LANGUAGES = [("en", "English"), ("es", "Español"), ("ar", "العربية")]
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "frontend" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [("frontend", BASE_DIR / "frontend" / "src")]


def frontend_build(source: Path) -> str:
    """The frontend build a process serves: a digest of the files the browser loads."""
    digest = hashlib.sha256()
    for path in sorted(source.glob("*")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


# The page embeds it and every catch-up names it: a page running an older build
# reloads itself at a calm moment (frontend/src/status.js, reloadAction).
FRONTEND_BUILD = os.environ.get("FRONTEND_BUILD") or frontend_build(BASE_DIR / "frontend" / "src")
WHITENOISE_USE_FINDERS = True

# --- Redis, Channels, Celery ------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# The cache every process shares (the throttles count on it, so their limits hold
# across the cluster): Django's Redis cache on the same Redis, under this
# deployment's prefix.
CACHES: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("CACHE_URL", REDIS_URL),
        "KEY_PREFIX": os.environ.get("CHANNEL_LAYER_PREFIX", DEFAULT_PREFIX) + ":cache",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}
# Redis Sentinel instead of one REDIS_URL: "host:port,host:port" and the
# monitored primary's name. Used by the channel layer, the broker and /readyz.
REDIS_SENTINELS = [
    (host, int(port))
    for host, _, port in (item.rpartition(":") for item in os.environ.get("REDIS_SENTINELS", "").split(",") if item)
]
REDIS_SENTINEL_MASTER = os.environ.get("REDIS_SENTINEL_MASTER", "mymaster")
# Several Redis servers for the channel layer (it shards channels and groups
# over them by consistent hashing): comma-separated URLs.
CHANNEL_LAYER_SHARDS = [url for url in os.environ.get("CHANNEL_LAYER_SHARDS", "").split(",") if url]

CHANNEL_LAYER_KEYS = [secret("CHANNEL_LAYER_ENCRYPTION_KEY", SECRET_KEY, 32)]


def channel_layer_host(url: str) -> dict:
    """A channels-redis host entry. redis-py 8 gives every socket a 5 s read
    timeout, the same as the layer's blocking pop, so idle sockets would be cut
    every few seconds; the read timeout must be longer than the pop."""
    return {"address": url, "socket_timeout": 15, "socket_connect_timeout": 5}


if REDIS_SENTINELS:
    CHANNEL_LAYER_HOSTS = [{
        "sentinels": REDIS_SENTINELS, "master_name": REDIS_SENTINEL_MASTER,
        "socket_timeout": 15, "socket_connect_timeout": 5,
    }]
else:
    CHANNEL_LAYER_HOSTS = [channel_layer_host(url) for url in CHANNEL_LAYER_SHARDS or [REDIS_URL]]


# PUBLISH/SUBSCRIBE by default: in the benchmarks it sustains 2.7x the
# publishes of the list-based layer at lower latency (docs/performance.md).
# It keeps nothing for a socket that is between reconnects, which the version
# heartbeat and catch-up cover. CHANNEL_LAYER_BACKEND=core selects the
# list-based layer (per-channel capacity and expiry).
CHANNEL_LAYER_BACKEND = os.environ.get("CHANNEL_LAYER_BACKEND", "pubsub")
CHANNEL_LAYERS: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": {
            "pubsub": "realtime.layers.VerifyingRedisPubSubChannelLayer",
            "core": "realtime.layers.VerifyingRedisChannelLayer",
        }[CHANNEL_LAYER_BACKEND],
        "CONFIG": {
            "hosts": CHANNEL_LAYER_HOSTS,
            "prefix": os.environ.get("CHANNEL_LAYER_PREFIX", DEFAULT_PREFIX),
            # Messages in Redis are encrypted and authenticated, so a party
            # that can write to Redis cannot inject events into a dashboard.
            "symmetric_encryption_keys": CHANNEL_LAYER_KEYS,
            **({} if CHANNEL_LAYER_BACKEND == "pubsub" else {
                "capacity": env_int("CHANNEL_LAYER_CAPACITY", 100),
                "expiry": 60,
                # Above Daphne's websocket timeout, so an open socket never
                # silently falls out of its group.
                "group_expiry": 86400 * 2,
            }),
        },
    }
}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or (
    ";".join(f"sentinel://{host}:{port}" for host, port in REDIS_SENTINELS) if REDIS_SENTINELS else REDIS_URL
)
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", DEFAULT_QUEUE)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker keeps trying its broker for as long as it is down (every 1-2 s, see
# config.celery), instead of exiting after 100 tries.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# With the Redis broker an unacknowledged task (its worker died) comes back
# after visibility_timeout seconds; workers look for such tasks every quarter
# of it (kombu's default would be every 100 s whatever the timeout).
BROKER_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 300)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": max(1, BROKER_VISIBILITY_TIMEOUT // 4),
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    **({"master_name": REDIS_SENTINEL_MASTER} if REDIS_SENTINELS else {}),
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A checkout must not hang on a broker that is down: try briefly, then leave
# the order to the relay (commerce.relay).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Fulfillment waits on the course platform (I/O), so a worker completes at most
# concurrency / platform latency orders a second. A pool of threads holds many
# such calls in one process; the "pool" scenario in bench/ measures it against
# prefork side by side (findings 32-33 in bench/notes.md: the same CPU per order
# on SQLite, about 1.5 ms more on PostgreSQL). Every thread that ran a task keeps
# its own database connection for DATABASE_CONN_MAX_AGE: CELERY_WORKER_CONCURRENCY
# threads per worker count against PostgreSQL's max_connections. ``prefork`` is
# still there for CPU-bound tasks.
CELERY_WORKER_POOL = os.environ.get("CELERY_WORKER_POOL", "threads")
CELERY_WORKER_CONCURRENCY = env_int("CELERY_WORKER_CONCURRENCY", 16)

# --- Fulfillment --------------------------------------------------------------
# The course platform fulfillment calls (commerce.platform). The simulated one
# takes FULFILLMENT_DELAY_SECONDS, so that the pending state is visible in the
# demo and in tests, and fails at FULFILLMENT_FAILURE_RATE.
COURSE_PLATFORM = os.environ.get("COURSE_PLATFORM", "commerce.platform.SimulatedPlatform")
FULFILLMENT_DELAY_SECONDS = env_float("FULFILLMENT_DELAY_SECONDS", 2.0)
FULFILLMENT_FAILURE_RATE = env_float("FULFILLMENT_FAILURE_RATE", 0.0)
# The simulated platform rejects the first N attempts at these courses
# ("course-v1:A+B+C=3,course-v1:D+E+F=1"): a course that fails for good in a
# program, then works when the learner retries it.
FULFILLMENT_FAILING_COURSES = {
    key: int(count)
    for key, _, count in (entry.rpartition("=") for entry in os.environ.get("FULFILLMENT_FAILING_COURSES", "").split(","))
    if key
}
FULFILLMENT_MAX_RETRIES = env_int("FULFILLMENT_MAX_RETRIES", 5)
FULFILLMENT_RETRY_BACKOFF_SECONDS = env_float("FULFILLMENT_RETRY_BACKOFF_SECONDS", 2.0)
FULFILLMENT_RETRY_BACKOFF_MAX_SECONDS = env_float("FULFILLMENT_RETRY_BACKOFF_MAX_SECONDS", 600.0)
# Certificates (certificates.renderer, simulated): generating one takes this
# long, and fails for the listed course keys (comma-separated).
CERTIFICATE_DELAY_SECONDS = env_float("CERTIFICATE_DELAY_SECONDS", 2.0)
CERTIFICATE_FAILING_COURSES = {key for key in os.environ.get("CERTIFICATE_FAILING_COURSES", "").split(",") if key}
# Getting attempts to the broker (commerce.dispatch, commerce.relay): every
# worker's relay sends orders parked while the broker was down every
# FULFILLMENT_RELAY_SECONDS, and every FULFILLMENT_SWEEP_SECONDS sends again an
# order whose attempt is overdue by FULFILLMENT_STALL_FACTOR times the p95 of
# recent due-to-done times (over FULFILLMENT_STALL_WINDOW_SECONDS), kept between
# FULFILLMENT_STALL_MIN_SECONDS and FULFILLMENT_STALL_SECONDS. A relay interval
# of 0 turns it off (the tests' long-lived workers, which share a database with
# other tests' stacks).
FULFILLMENT_RELAY_SECONDS = env_float("FULFILLMENT_RELAY_SECONDS", 1.0)
FULFILLMENT_SWEEP_SECONDS = env_float("FULFILLMENT_SWEEP_SECONDS", 5.0)
FULFILLMENT_STALL_FACTOR = env_float("FULFILLMENT_STALL_FACTOR", 3.0)
FULFILLMENT_STALL_MIN_SECONDS = env_float("FULFILLMENT_STALL_MIN_SECONDS", 20.0)
FULFILLMENT_STALL_SECONDS = env_float("FULFILLMENT_STALL_SECONDS", 120.0)
FULFILLMENT_STALL_WINDOW_SECONDS = env_float("FULFILLMENT_STALL_WINDOW_SECONDS", 600.0)

PAYMENT_WEBHOOK_SECRET = secret("PAYMENT_WEBHOOK_SECRET", "demo-payment-secret", 32)
PAYMENT_NOTIFICATION_MAX_AGE_SECONDS = env_int("PAYMENT_NOTIFICATION_MAX_AGE_SECONDS", 300)

# Other services report enrollment changes at /api/v1/events/ with a bearer
# token ("name=token,name2=token2") or an HMAC-SHA256 signature of the body.
EVENTS_SERVICE_TOKENS = dict(
    pair.split("=", 1) for pair in os.environ.get("EVENTS_SERVICE_TOKENS", "").split(",") if "=" in pair
)
EVENTS_SIGNING_KEY = os.environ.get("EVENTS_SIGNING_KEY", "")

# --- Limits on every write path, counted on the shared cache (config.throttling) ---
# Failed logins per account and per client address, in a window: then a clear
# 429 until the window ends (the right password still works after it).
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 10)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 50)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900)
# WebSocket handshakes per client address and per learner, in a window; the
# address is counted before anything else is done (4429 too_many_connections).
REALTIME_HANDSHAKES_PER_ADDRESS = env_int("REALTIME_HANDSHAKES_PER_ADDRESS", 120)
REALTIME_HANDSHAKES_PER_LEARNER = env_int("REALTIME_HANDSHAKES_PER_LEARNER", 30)
REALTIME_HANDSHAKE_WINDOW_SECONDS = env_int("REALTIME_HANDSHAKE_WINDOW_SECONDS", 10)

# --- Headers --------------------------------------------------------------------
# A strict content security policy: the pages load only their own modules and
# styles (no inline script or style; the JSON the scripts start from is data,
# which the policy allows) and talk only to their own origin (the WebSocket
# included). Django adds nosniff, the referrer policy and frame denial.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# DJANGO_SECURE=1: served over TLS behind a proxy that says so (deploy/nginx.conf
# sets X-Forwarded-Proto): cookies only over https, HSTS, and plain http
# redirected, except the endpoints the health checks and Prometheus call on the
# nodes directly. `manage.py check --deploy` then reports nothing.
SECURE = env_bool("DJANGO_SECURE", False)
if SECURE:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Realtime -----------------------------------------------------------------
# What the push path carries: the learners' clock and every kind of live item,
# registered by the app that owns it (config.live; realtime.items loads them).
REALTIME_CLOCK = "dashboard.live.CLOCK"
REALTIME_ITEM_KINDS = ["dashboard.live.ENROLLMENTS", "commerce.live.ORDERS", "certificates.live.CERTIFICATES"]
# How often the server tells each socket the learner's current version; a
# client that sees a newer one than it has asks to catch up. This bounds how
# long a page can miss an event whose publish was lost.
REALTIME_HEARTBEAT_SECONDS = env_float("REALTIME_HEARTBEAT_SECONDS", 20.0)
# A socket may send this many messages a second (with this burst) before it
# is closed with 4429; a learner may hold this many sockets per server process.
REALTIME_CLIENT_MESSAGES_PER_SECOND = env_float("REALTIME_CLIENT_MESSAGES_PER_SECOND", 5.0)
REALTIME_CLIENT_MESSAGE_BURST = env_float("REALTIME_CLIENT_MESSAGE_BURST", 20.0)
REALTIME_MAX_SOCKETS_PER_LEARNER = env_int("REALTIME_MAX_SOCKETS_PER_LEARNER", 10)
# On SIGTERM a socket server closes its sockets (4001) evenly over this window,
# then waits up to the grace for the closes to finish (realtime.server).
REALTIME_DRAIN_SECONDS = env_float("REALTIME_DRAIN_SECONDS", 10.0)
REALTIME_DRAIN_GRACE_SECONDS = env_float("REALTIME_DRAIN_GRACE_SECONDS", 5.0)
# This socket server's name in cluster presence (realtime.presence); the
# support console shows each learner's sockets by it.
REALTIME_NODE = os.environ.get("REALTIME_NODE") or f"{socket.gethostname()}:{os.getpid()}"
# A socket whose client does not read is dropped once this much waits to be sent
# to it (beyond the kernel's buffers), so a slow reader cannot make the server
# buffer without end (realtime.server).
REALTIME_MAX_BUFFERED_BYTES = env_int("REALTIME_MAX_BUFFERED_BYTES", 1024 * 1024)
# Daphne pings every socket this often and drops one that does not answer within
# the timeout (a half-open connection: the client vanished without closing).
REALTIME_PING_INTERVAL_SECONDS = env_int("REALTIME_PING_INTERVAL_SECONDS", 20)
REALTIME_PING_TIMEOUT_SECONDS = env_int("REALTIME_PING_TIMEOUT_SECONDS", 30)
# Lifetime of a connection token (POST /api/v1/realtime/token/) for clients without a session.
REALTIME_TOKEN_SECONDS = env_int("REALTIME_TOKEN_SECONDS", 60)

# The live-updates debug panel on every dashboard (staff can always add ?debug=1).
DASHBOARD_DEBUG_PANEL = env_bool("DASHBOARD_DEBUG_PANEL", False)

# --- API ----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "checkout": os.environ.get("THROTTLE_CHECKOUT", "30/min"),
        "payments": os.environ.get("THROTTLE_PAYMENTS", "120/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Learner dashboard API",
    "DESCRIPTION": "Checkout (seats and programs), payment notifications, the learner's live items, certificates.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The interactive page (/api/docs/) serves Swagger UI from our own static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "APPEND_COMPONENTS": {"securitySchemes": {
        "serviceToken": {"type": "http", "scheme": "bearer",
                         "description": "A service token from EVENTS_SERVICE_TOKENS."},
        "eventSignature": {"type": "apiKey", "in": "header", "name": "X-Signature",
                           "description": "`sha256=<hex>`: HMAC-SHA256 of the raw body with EVENTS_SIGNING_KEY."},
        "paymentSignature": {"type": "apiKey", "in": "header", "name": "X-Payment-Signature",
                             "description": "`sha256=<hex>`: HMAC-SHA256 of the raw body with PAYMENT_WEBHOOK_SECRET."},
    }},
    # One name per status vocabulary (several models call theirs "status").
    "ENUM_NAME_OVERRIDES": {
        "EnrollmentStatusEnum": "dashboard.models.Enrollment.Status",
        "OrderStatusEnum": "commerce.models.Order.Status",
        "OrderLineStatusEnum": "commerce.models.OrderLine.Status",
        "CertificateStatusEnum": "certificates.models.Certificate.Status",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [order=%(order)s req=%(request_id)s] %(message)s"},
        "json": {"()": "config.logcontext.JsonFormatter"},
    },
    "filters": {"order": {"()": "config.logcontext.OrderContextFilter"}},
    # LOG_FORMAT=json: one JSON object per line (the production compose file sets it).
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json" if os.environ.get("LOG_FORMAT") == "json" else "plain",
                             "filters": ["order"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
