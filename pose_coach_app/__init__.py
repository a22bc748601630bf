"""The Streamlit app's pages: thin shells over ``pose_coach``. Run with ``streamlit run app.py``."""
