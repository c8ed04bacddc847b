"""The ParamLab tab: the ledger view (filters, table, detail, actions), its file routes and its charts.

The same views are built into the WebUI's ParamLab tab and into ``python -m paramlab serve``; nothing
here imports the WebUI's ``modules``.
"""
