"""Demo data for ``manage.py seed_demo``: realistic people, agencies, credit stories and projects.

Everything reaches its state through the services a user would call; the ``--scale`` bulk path
writes the same rows directly, checked row by row against the services by the tests.
"""
