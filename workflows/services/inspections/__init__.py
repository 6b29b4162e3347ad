"""Credit-graded random inspections (双随机、一公开): plans and their draw (``plans.py``), results
(``results.py``), the public notices (``notices.py``)."""
