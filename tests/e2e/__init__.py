"""End-to-end tests: JupyterLab in headless Chromium, every notebook run from the menu (``make e2e``)."""
