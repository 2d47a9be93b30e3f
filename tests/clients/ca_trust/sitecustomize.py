"""Make every ``requests.Session`` of a client process trust the simulators' throwaway CA.

tap-jira and Airbyte's CDK send prepared requests with ``Session.send``, which ignores
``REQUESTS_CA_BUNDLE`` (requests merges environment settings only in ``Session.request``), and
neither offers a CA option. A user with a private CA adds it to certifi's bundle; the client tests
instead put this folder on the client's ``PYTHONPATH`` and name the bundle in
``PWH_CLIENT_CA_BUNDLE``, so only that process trusts it and the clients' own code runs unchanged.
"""

import os

_bundle = os.environ.get("PWH_CLIENT_CA_BUNDLE")
if _bundle:
    import requests

    _init = requests.Session.__init__

    def _trusting_init(self, *args, **kwargs):
        _init(self, *args, **kwargs)
        self.verify = _bundle

    requests.Session.__init__ = _trusting_init
