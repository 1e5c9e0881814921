pytest_plugins = ["realtime.testing"]
