"""Settings of the relprefetch Django example.

The database connection comes from libpq's environment variables: PGHOST,
PGPORT, PGDATABASE, PGUSER (and PGPASSWORD if needed). The server must have
relprefetch in shared_preload_libraries; the blog app's migrations create
the extension in the database.
"""
import os
import sys

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SECRET_KEY = "relprefetch-example-not-secret"
DEBUG = False
ALLOWED_HOSTS = []

INSTALLED_APPS = ["blog"]

# manage.py test: Django wraps every TestCase in a transaction, one unit of
# work for relprefetch; an N+1 loop in a test then fails the test with
# SQLSTATE 54000 instead of going unnoticed.
TESTING = sys.argv[1:2] == ["test"]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ.get("PGHOST", ""),
        "PORT": os.environ.get("PGPORT", ""),
        "NAME": os.environ.get("PGDATABASE", "blog"),
        "USER": os.environ.get("PGUSER", ""),
        "PASSWORD": os.environ.get("PGPASSWORD", ""),
        # libpq would ignore PGOPTIONS once "options" is given: keep it.
        "OPTIONS": (
            {"options": (os.environ.get("PGOPTIONS", "")
                         + " -c relprefetch.on_detect=error").strip()}
            if TESTING else {}
        ),
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

USE_TZ = True
TIME_ZONE = "UTC"
