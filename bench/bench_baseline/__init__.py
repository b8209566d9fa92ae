"""Models of the bare-Django ORM baseline (bench/baseline_app.py): just the columns the view touches."""
