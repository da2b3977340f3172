"""What the web app computes, without Streamlit (the pages in ``app_pages/`` hold the widgets)."""
