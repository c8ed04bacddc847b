"""Blind A/B tests: the test's definition, its images and votes in the ledger, and the pairs to judge.

Never imports the WebUI (see :mod:`paramlab.webui.abtest_script` for the script).
"""
