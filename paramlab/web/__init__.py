"""ParamLab over HTTP: every ``/paramlab/v1`` route, the access rule, the acting user, signed links and the
file routes, shared by the WebUI and ``paramlab serve``. Routes read and write through the ledger only."""
