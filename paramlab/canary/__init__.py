"""The canary: the studio's pinned ledger images rendered again on a WebUI after an update, each compared with
its recorded file and time, with the fingerprint fields that changed named (``python -m paramlab canary``)."""
