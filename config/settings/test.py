"""Test settings: fast hashing, eager Celery, local-memory cache, immediate Wagtail tasks."""

from .base import *  # noqa: F403
from .base import BASE_DIR, os

DEBUG = False
SECRET_KEY = "test-key"
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "test"}}
# Eager by default; the broker tests switch eagerness off and use the real broker from the environment.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / ".test-media" / str(os.getpid())
WAGTAILADMIN_BASE_URL = "http://testserver"

# Demo mode is switched on by a test that needs it, never by the environment.
ZJCS_DEMO = False

# Tests under acceleration let deadlines pass within seconds; a test about the floor sets it itself.
ZJCS_SCALED_MIN_SECONDS = 0

# The local stand-in credit platform is mounted; a test points ZJCS_CREDIT_EXCHANGE_URL at its live server.
ZJCS_CREDIT_EXCHANGE_STANDIN = True
