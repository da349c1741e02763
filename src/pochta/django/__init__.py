"""Optional Django integration; the only package that imports Django."""
