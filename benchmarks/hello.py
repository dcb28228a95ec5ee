"""A bare Flask "hello world": the yardstick the load benchmark compares Mindgap with."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, world!"
