"""Yardsticks for the load benchmark, served by the same gunicorn settings as Mindgap.

``/``        a bare Flask "hello world": the reference the targets are stated against;
``/insert``  a minimal Flask + SQLAlchemy endpoint that stores one answer set (10 rows) in
             the database of ``MINDGAP_DATABASE_URL``, in a table of its own;
``/form``    a bare 60-item Jinja form, compiled once.

The last two calibrate the measurement: they show what share of hello world a request that
only writes, or only renders, reaches on this machine with this load generator.
"""

import os
import random

from flask import Flask, render_template_string
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert

app = Flask(__name__)
metadata = MetaData()
answers = Table(
    "calibration_answer", metadata,
    Column("id", Integer, primary_key=True),
    Column("response_id", Integer, nullable=False),
    Column("item_id", String(40), nullable=False),
    Column("value", Integer),
)  # fmt: skip
engine = create_engine(os.environ["MINDGAP_DATABASE_URL"]) if os.environ.get("MINDGAP_DATABASE_URL") else None


def create_table(url: str) -> None:
    """Create the yardstick's table, once, before the workers start (they would race to)."""
    setup = create_engine(url)
    metadata.create_all(setup)
    setup.dispose()


FORM = """<!doctype html><title>Form</title><form method="post">
{% for item in items %}<fieldset><legend>{{ item.text }}</legend>
{% for value in values %}
<label><input type="radio" name="{{ item.id }}" value="{{ value }}"> {{ value }}</label>
{% endfor %}</fieldset>
{% endfor %}<button>Send</button></form>"""
ITEMS = [
    {"id": f"item-{n}", "text": f"Statement number {n} about how the teams work together"} for n in range(60)
]


@app.get("/")
def hello():
    return "Hello, world!"


@app.get("/insert")
def insert_answers():
    response_id = random.randrange(1_000_000)
    rows = [{"response_id": response_id, "item_id": f"item-{n}", "value": n % 5 + 1} for n in range(10)]
    with engine.begin() as connection:
        connection.execute(insert(answers), rows)
    return "stored"


@app.get("/form")
def form():
    return render_template_string(FORM, items=ITEMS, values=range(1, 6))
