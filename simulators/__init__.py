"""A generated enterprise that speaks the real Jira Cloud and ServiceNow Table APIs on loopback."""
