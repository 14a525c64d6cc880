"""orgportal: an internal HR and organisation portal."""
