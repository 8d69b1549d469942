"""Route 53: hosted zones and record sets through the Route 53 API (api.py, model.py),
answered by a real authoritative DNS server (index.py, engine.py, server.py)."""
