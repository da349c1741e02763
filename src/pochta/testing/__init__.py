"""pochta's testing toolkit: the pytest plugin and the Mailbox client."""
