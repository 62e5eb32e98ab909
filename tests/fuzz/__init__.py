"""Random-program testing of chainrule (GitHub issue 6).

``programs.py`` generates random valid programs from the supported subset (hypothesis
strategies), ``runner.py`` checks chainrule on one of them, ``known.py`` lists bugs found and
not fixed yet, ``campaign.py`` runs a long campaign (``python -m tests.fuzz --count N``,
``make fuzz``). ``tests/test_fuzz.py`` runs a short one with every ``make test``.
"""
