"""Optional Django integration; the only package that imports Django.

Add ``"pochta.django"`` to ``INSTALLED_APPS`` to get ``manage.py pochta`` (the
catcher, configured from the project's settings) and the ``pochta.W001``
system check. Importing this package itself does not import Django:
:mod:`pochta.django.catcher` and :mod:`pochta.django.demo` work without it.
"""
