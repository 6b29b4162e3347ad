"""Notifications through one service (``service.notify``) and its channels: the in-app inbox, e-mail and SMS.

``events`` builds the message of each event (a win, a measure notice, a decision), ``dispatch`` runs it as
a Celery task after the causing transaction commits, ``reminders`` is the sweep that reminds of every
deadline that costs credit, ``texts`` renders a message in the reader's language, ``channels`` sends it.
"""
