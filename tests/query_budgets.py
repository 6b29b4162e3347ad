"""The query budget of each signed-in page: the most queries one request may run, whatever the number of rows.

docs/architecture.md ("Query budgets") states the same table; tests/site/test_query_budgets.py keeps the two
equal, and each page's test asks its budget from here. Every signed-in page pays five of them before its own
work: the session, the user, its roles, who it acts for (none for the operator) and the header's to-do and
unread counts.
"""

BUDGETS: dict[str, int] = {
    "dashboard": 10,  # /me/: the to-dos of each role the account holds (agency: 5 lists; the header reuses them)
    "inbox": 7,
    "agency-projects": 11,  # ?all=1 adds the agency's licences (for the reasons)
    "agency-signups": 7,
    "agency-project": 18,  # the gate's preview of a sign-up: membership, engagements, licences, standing
    "agency-membership": 11,
    "agency-credit": 13,
    "buyer-projects": 10,
    "buyer-project": 12,
    "supervisor-queue": 13,
    "supervisor-inspections": 6,  # the supervisor's plans with their target counts (one GROUP BY)
    "supervisor-inspection": 9,  # the plan, its inspectors with their conflicts, its targets
    "supervisor-risk-flags": 9,
    "operator-queue": 5,
    "supervisor-reports": 6,  # the archived months (a supervisor; the operator pays one less)
    "policy-whatif": 15,  # the drafts, the draft's catalogue and bases, the market, the ledger's three, the names
    "operator-exchange": 12,  # outbox, pending count, delivery log, pulls, the feedback (listings, subjects, ledger ×2)
}
