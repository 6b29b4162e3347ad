"""Downloads people ask for: every public list as CSV and XLSX with the page's own filters, and an agency's
signed credit report (信用报告) as a PDF with its public verification page.

``tables.py`` says what each list's download holds (the page's selector, its filter parsing, its columns);
``writers.py`` streams the rows as CSV or XLSX in constant memory; ``views.py`` serves them. The credit report:
``report_facts.py`` (what a report states, as canonical JSON), ``report_pdf.py`` (the PDF), ``reports.py``
(issuing and verifying), ``report_views.py`` (the agency's download, the public verification page).
"""
