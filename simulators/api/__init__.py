"""The simulated Jira Cloud and ServiceNow Table APIs, served from a world file on loopback.

``http`` is the server both run on (keep-alive, TLS, fault injection from ``faults``);
``jira_api`` and ``servicenow_api`` answer the requests, reading the world file through
``simulators.world.store``; ``jql`` and ``encoded_query`` parse the query languages they accept.
``simulators.serve`` starts them.
"""
