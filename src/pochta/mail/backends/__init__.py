"""Email backends, one module each, loaded by dotted path as in Django."""
