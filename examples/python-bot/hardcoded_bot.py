#!/usr/bin/env python3
"""The example bot (bot.py) as most bots in the wild are configured: its
Graph API URL is Meta's, fixed here, and OTNSIM_GRAPH_URL is ignored. otnsim
judges it unmodified by intercepting its calls (urllib honours HTTPS_PROXY
and SSL_CERT_FILE):

    otnsim check --intercept --bot-cmd "python3 examples/python-bot/hardcoded_bot.py"
"""

import os
import runpy

GRAPH_URL = "https://graph.facebook.com"  # Meta's; bot.py adds /v19.0/me/messages

os.environ["OTNSIM_GRAPH_URL"] = GRAPH_URL
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "bot.py"), run_name="__main__")
