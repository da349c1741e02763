"""The test runner: ``manage.py test`` finds this site's tests from any folder."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test.runner import DiscoverRunner


class SiteTestRunner(DiscoverRunner):
    """Discover tests under ``BASE_DIR`` when no label is given, whatever the working folder."""

    def setup_test_environment(self, **kwargs: Any) -> None:
        """Set up as Django does, with a fast password hasher (PBKDF2 costs ~0.3 s a login)."""
        super().setup_test_environment(**kwargs)
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def build_suite(self, test_labels: Any = None, **kwargs: Any) -> Any:
        """Build the suite from ``test_labels``, or from the site's own folder."""
        if not test_labels:
            self.top_level = str(settings.BASE_DIR)
            test_labels = [str(settings.BASE_DIR)]
        return super().build_suite(test_labels, **kwargs)
