"""rtspike command line."""
