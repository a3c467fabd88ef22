"""The load script's users (``bench/load.py`` runs it): billers entering and checking claims and paging lists.

Each simulated user gets a signed-in session prepared by ``bench/load.py`` (no password hashing under
load: what is measured is the app, not the hasher) and, between short pauses, does what a biller does
all day: opens the entry page, runs the live check of a claim as htmx sends it, saves a new claim, and
pages through the claim list with its filters and sorts. Any answer other than the expected status is a
failure. Data (sessions, claims as the entry form posts them) come from the JSON file named by
``CLAIMDESK_LOAD_DATA``.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading

from locust import HttpUser, between, task

with open(os.environ["CLAIMDESK_LOAD_DATA"], encoding="utf-8") as data_file:
    DATA = json.load(data_file)
_SESSIONS = itertools.cycle(DATA["sessions"])
_SESSIONS_LOCK = threading.Lock()
LIST_PARAMS = [
    {},
    {"page": "2"},
    {"status": "flagged"},
    {"status": "ready"},
    {"risk": "high"},
    {"sort": "-updated_at"},
    {"sort": "-date_of_service"},
    {"dos_from": "2026-03-01", "dos_to": "2026-03-31"},
]


class Biller(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self):
        with _SESSIONS_LOCK:
            session = next(_SESSIONS)
        self.client.cookies.set(session["cookie"], session["key"])
        self.entry_page()

    def _csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    def _expect(self, response, status: int):
        if response.status_code != status:
            response.failure(f"answered {response.status_code}, expected {status}")
        else:
            response.success()

    @task(1)
    def entry_page(self):
        with self.client.get("/claims/new/", name="entry page", catch_response=True) as response:
            self._expect(response, 200)

    @task(5)
    def live_check(self):
        claim = random.choice(DATA["claims"])
        with self.client.post(
            "/claims/check/",
            data=claim,
            headers={"HX-Request": "true", "X-CSRFToken": self._csrf()},
            name="live check",
            catch_response=True,
        ) as response:
            self._expect(response, 200)

    @task(1)
    def save_claim(self):
        claim = {**random.choice(DATA["claims"]), "csrfmiddlewaretoken": self._csrf(), "action": "save"}
        with self.client.post(
            "/claims/new/", data=claim, name="save claim", allow_redirects=False, catch_response=True
        ) as response:
            self._expect(response, 302)

    @task(3)
    def claim_list(self):
        params = random.choice(LIST_PARAMS)
        with self.client.get("/claims/", params=params, name="claim list", catch_response=True) as response:
            self._expect(response, 200)
