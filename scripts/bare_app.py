"""The baseline for `make bench`: a bare Flask app served exactly like Moonly.

    cd scripts && gunicorn bare_app:app --bind 127.0.0.1:PORT --workers 2 --threads 4

GET / answers a small fixed HTML page; POST /hook reads the body and answers 200 JSON.
"""

from flask import Flask, Response, jsonify, request

app = Flask(__name__)

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Bare</title></head>
<body><h1>Bare Flask</h1><p>A fixed page for the baseline.</p></body>
</html>
"""


@app.get("/")
def index() -> tuple[str, int, dict[str, str]]:
    return PAGE, 200, {"Content-Type": "text/html; charset=utf-8"}


@app.post("/hook")
def hook() -> Response:
    body = request.get_data()
    return jsonify(received=True, bytes=len(body))
