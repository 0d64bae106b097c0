"""Caching on and caching off give every reader the same answers (DESIGN.md: "The proof is
differential").

Every reader of core/tests/differential.py (anonymous, with a page's password, logged in in
every state of a course, its staff, an editor, a superuser, a name made of HTML) asks for every
page type and API endpoint, in a shuffled order, once with caching off and twice with it on;
each answer with caching on (status, headers, body: CSRF tokens and dates aside) must be the
answer with caching off. Then a change is made (a title published, a module unpublished, a
password, log-in or group restriction added, a student unenrolled) and everything is compared
again, until every change has been made.

Two variants:

- in one process, with Django's test client: the page cache on (conftest's ``page_cache_on``)
  against the same request with it off and an empty cache of its own; every reader and URL
  before any change and again after all of them (half a minute: ``make test`` runs it, ``make
  test-fast`` does not).
- across real processes (marker ``slow``): two gunicorn servers with the page cache on and one
  with it off, over one throwaway PostgreSQL cluster and one throwaway redis-server (the server
  with caching off under its own database number and key prefix, so that nothing it keeps is
  seen by the others), with the production settings (home/tests/processes.py). Each comparison
  asks both cached servers, one after the other in a random order, so that what one process
  stored or kept is served by the other too.

The order is drawn from a seeded ``random.Random``: a failure names its seed, and
``DIFFERENTIAL_SEED=<seed>`` replays it.
"""

import json
import os
import queue
import random
import subprocess
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, suppress
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from django.test import Client, override_settings

from chat.tests.live_servers import REDIS_SERVER, REPO, ThrowawayRedis, read_log, stop
from core.tests import differential
from core.tests.differential import CHANGES, HOST, PAGE_PASSWORD, READERS, Mismatches, answer
from home.tests.processes import (
    GUNICORN,
    PYTHON,
    ThrowawayPostgres,
    app_env,
    fetch,
    gunicorn,
    logs,
    postgres_bin_dir,
    unavailable,
)

ROUNDS = ("initial", *CHANGES)
CSRF_INPUT = 'name="csrfmiddlewaretoken" value="'


def new_seed():
    seed = os.environ.get("DIFFERENTIAL_SEED")
    return int(seed) if seed else random.SystemRandom().randrange(2**32)


def shuffled_pairs(rng, site):
    pairs = [(reader, url) for reader in READERS for url in site["urls"]]
    rng.shuffle(pairs)
    return pairs


def cookie_header(cookies):
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def password_form_fields(password, html):
    """Wagtail's password form, filled in: the CSRF token from the page, the return URL."""
    start = html.index(CSRF_INPUT) + len(CSRF_INPUT)
    token = html[start : html.index('"', start)]
    return {
        "csrfmiddlewaretoken": token,
        "password": PAGE_PASSWORD,
        "return_url": password["url"],
    }


CACHE_HEADERS = ("x-page-cache", "x-api-cache")


class CacheUse:
    """How many answers with caching on came from the page cache or the API's cache (a run
    that compared nothing but misses would prove nothing); and that none with caching off did."""

    def __init__(self):
        self.counts = Counter()
        self.lock = threading.Lock()

    def note(self, headers):
        for name, value in headers:
            if name.lower() in CACHE_HEADERS:
                with self.lock:
                    self.counts[(name.lower(), value)] += 1

    @staticmethod
    def assert_uncached(headers, url):
        cached = [(name, value) for name, value in headers if name.lower() in CACHE_HEADERS]
        assert not cached, f"{url} with caching off: {cached}"

    def check(self, round_name):
        """The hits of the round, each cache's at least one; counting starts again."""
        hits = {name: self.counts[(name, "hit")] for name in CACHE_HEADERS}
        assert all(hits.values()), f"round {round_name!r}: no hit from a cache ({self.counts})"
        self.counts.clear()
        return ", ".join(f"{name} hits: {count}" for name, count in hits.items())


# --- in one process ------------------------------------------------------------------------------
#: The cache of a request with caching off: its own, emptied before each such request, so that
#: nothing the cached requests stored can reach the reference answer.
UNCACHED = {
    "PAGE_CACHE_SECONDS": 0,
    "CACHES": {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "differential-caching-off",
        }
    },
}


class Browser:
    """Django's test client with the reader's cookies only, for each request: the client
    loads the middleware once (WhiteNoise scans every static file then), so it is kept."""

    def __init__(self):
        self.client = Client(HTTP_HOST=HOST)

    def answer(self, cookies, url, use=None):
        """The answer with the settings of the moment; ``use``: a CacheUse to note it in, or
        None for an answer with caching off."""
        self.client.cookies = SimpleCookie(cookies)
        response = self.client.get(url)
        headers = [*response.items()]
        headers += [("Set-Cookie", morsel.OutputString()) for morsel in response.cookies.values()]
        if use is None:
            CacheUse.assert_uncached(headers, url)
        else:
            use.note(headers)
        return answer(response.status_code, headers, response.content)

    def uncached_answer(self, cookies, url):
        from django.core.cache import cache

        with override_settings(**UNCACHED):
            cache.clear()
            return self.answer(cookies, url)


def password_cookies_in_process(site):
    password = site["password"]
    client = Client(enforce_csrf_checks=True, HTTP_HOST=HOST)
    form = client.get(password["url"])
    assert form.status_code == 200 and 'name="password"' in form.content.decode()
    response = client.post(
        f"/_util/authenticate_with_password/{password['restriction']}/{password['page']}/",
        password_form_fields(password, form.content.decode()),
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return {name: morsel.value for name, morsel in client.cookies.items()}


@pytest.mark.slow  # half a minute: in make test, not in make test-fast
@pytest.mark.django_db
def test_in_one_process_every_reader_gets_the_same_answers_with_the_page_cache_on_and_off(
    page_cache_on,
):
    """Every reader and URL before any change, then after all of them (the processes' test
    compares after each one)."""
    seed = new_seed()
    print(f"differential seed: {seed}")
    rng = random.Random(seed)
    site = differential.build_site()
    site["cookies"]["anonymous_password"] = password_cookies_in_process(site)
    use, browser = CacheUse(), Browser()
    for round_name in ("initial", "after every change"):
        if round_name != "initial":
            for change in CHANGES:
                differential.apply_change(change, site["ids"])
        mismatches = Mismatches(seed)
        for reader, url in shuffled_pairs(rng, site):
            cookies = site["cookies"][reader]
            first = browser.answer(cookies, url, use)
            reference = browser.uncached_answer(cookies, url)
            second = browser.answer(cookies, url, use)
            mismatches.compare(round_name, reader, url, reference, first, "first request")
            mismatches.compare(round_name, reader, url, reference, second, "second request")
        assert mismatches.compared > 0
        assert not mismatches.found, mismatches.report()
        print(f"{round_name}: {mismatches.compared} answers compared, {use.check(round_name)}")


# --- across server processes ---------------------------------------------------------------------
#: How long a process may use the generation it read (PAGE_CACHE_GENERATION_SECONDS): a change
#: is honoured by every process after that, which the rounds after each change rely on.
GENERATION_SECONDS = 1
DATABASE = "learning_differential"


class Runner:
    """``differential.RUNNER_SCRIPT`` in a process with the servers' environment: one command
    in, its result out. One interpreter for the set-up and every change."""

    TIMEOUT = 300  # seconds for one command (migrate is the longest)

    def __init__(self, env, log):
        self.log = log
        with open(log, "ab") as errors:
            self.process = subprocess.Popen(
                [PYTHON, "-c", differential.RUNNER_SCRIPT],
                cwd=REPO,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
            )
        self.results = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            if line.startswith(differential.RESULT):
                self.results.put(json.loads(line[len(differential.RESULT) :]))
        self.results.put({"error": f"the runner exited:\n{read_log(self.log)}"})

    def __call__(self, **command):
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        try:
            result = self.results.get(timeout=self.TIMEOUT)
        except queue.Empty:
            raise RuntimeError(f"{command} took over {self.TIMEOUT} s in the runner") from None
        if "error" in result:
            raise RuntimeError(f"{command} failed in the runner:\n{result['error']}")
        return result

    def stop(self):
        with suppress(OSError):
            self.process.stdin.close()
        stop(self.process)


class Deployment:
    def __init__(self, directory, runner, site, cached, uncached):
        self.directory, self.runner, self.site = directory, runner, site
        self.cached, self.uncached = cached, uncached


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """Two gunicorn servers with caching on and one with it off, on the same throwaway
    PostgreSQL database and redis-server, serving the site of ``build_site``."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        unavailable("PostgreSQL's initdb and pg_ctl are not installed")
    if REDIS_SERVER is None:
        unavailable("redis-server is not installed")
    if not GUNICORN.exists():
        unavailable("gunicorn is not installed in this environment")
    directory = tmp_path_factory.mktemp("differential")
    with ExitStack() as stack:
        postgres = ThrowawayPostgres(bin_dir)
        stack.callback(postgres.destroy)
        postgres.init()
        postgres.start()
        postgres.create_database(DATABASE)
        redis_server = ThrowawayRedis(directory)
        stack.callback(redis_server.stop)
        redis_server.start()

        # Persistent connections, as the WSGI workers are deployed.
        common = {"DATABASE_CONN_MAX_AGE": 600, "LOG_LEVEL": "WARNING"}
        (directory / "on").mkdir()
        (directory / "off").mkdir()
        on = app_env(
            directory / "on",
            postgres.url(DATABASE),
            redis_server.url,
            REDIS_PREFIX="differential-on",
            PAGE_CACHE_SECONDS=600,
            PAGE_CACHE_GENERATION_SECONDS=GENERATION_SECONDS,
            **common,
        )
        off = app_env(
            directory / "off",
            postgres.url(DATABASE),
            redis_server.url.removesuffix("/0") + "/1",
            REDIS_PREFIX="differential-off",
            PAGE_CACHE_SECONDS=0,
            **common,
        )
        runner = Runner(on, directory / "runner.log")
        stack.callback(runner.stop)
        servers = [
            (gunicorn(directory, "cached-a", workers=2), on),
            (gunicorn(directory, "cached-b", workers=2), on),
            (gunicorn(directory, "uncached", workers=2), off),
        ]
        try:
            runner(do="migrate")
            for server, env in servers:  # they start while the site is built
                stack.callback(server.stop)
                server.start(env)
            site = runner(do="site")
            for server, _ in servers:
                server.wait()
        except BaseException:
            print(logs(directory))
            raise
        yield Deployment(directory, runner, site, [servers[0][0], servers[1][0]], servers[2][0])


def served(server, url, cookies, use=None):
    """``server``'s answer; ``use``: a CacheUse to note it in, or None for the server with
    caching off."""
    headers = {"Host": HOST}
    if cookies:
        headers["Cookie"] = cookie_header(cookies)
    response = fetch(server.port, url, headers=headers)
    if use is None:
        CacheUse.assert_uncached(response.headers, url)
    else:
        use.note(response.headers)
    return answer(response.status, response.headers, response.body)


def password_cookies_over_http(server, site):
    """Wagtail's password form, posted to one server as a browser would; sessions live in the
    shared database, so the cookies are good on every server."""
    password = site["password"]
    form = fetch(server.port, password["url"], headers={"Host": HOST})
    assert form.status == 200 and 'name="password"' in form.text, form.text[:500]
    csrf = form.cookie("csrftoken")
    response = fetch(
        server.port,
        f"/_util/authenticate_with_password/{password['restriction']}/{password['page']}/",
        method="POST",
        headers={
            "Host": HOST,
            "Cookie": f"csrftoken={csrf}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        body=urlencode(password_form_fields(password, form.text)).encode(),
    )
    assert response.status == 302, response.text[:500]
    session = response.cookie("sessionid")
    assert session
    return {"csrftoken": csrf, "sessionid": session}


def compare_round(deployment, round_name, rng, seed, use):
    """Every (reader, URL) once with caching off and once on each cached server (which first:
    drawn), in a drawn order. Readers are served concurrently, each reader's requests in turn
    (a module visit changes what that reader's course page shows next)."""
    site = deployment.site
    plan = defaultdict(list)
    for reader, url in shuffled_pairs(rng, site):
        first, second = rng.sample(deployment.cached, 2)
        plan[reader].append((url, first, second))

    def ask(reader):
        cookies = site["cookies"][reader]
        results = []
        for url, first, second in plan[reader]:
            got_first = served(first, url, cookies, use)
            reference = served(deployment.uncached, url, cookies)
            got_second = served(second, url, cookies, use)
            results.append((reader, url, reference, got_first, f"{first.log.stem}, first"))
            results.append((reader, url, reference, got_second, f"{second.log.stem}, second"))
        return results

    mismatches = Mismatches(seed)
    with ThreadPoolExecutor(max_workers=6) as pool:
        for results in pool.map(ask, list(plan)):
            for reader, url, reference, got, where in results:
                mismatches.compare(round_name, reader, url, reference, got, where)
    return mismatches


@pytest.mark.slow
def test_across_processes_every_reader_gets_the_same_answers_with_caching_on_and_off(deployment):
    seed = new_seed()
    print(f"differential seed: {seed}")
    rng = random.Random(seed)
    site = deployment.site
    site["cookies"]["anonymous_password"] = password_cookies_over_http(
        rng.choice(deployment.cached), site
    )
    use = CacheUse()
    try:
        for round_name in ROUNDS:
            if round_name != "initial":
                deployment.runner(do="change", name=round_name, ids=site["ids"])
                # Every process reads the generation again within GENERATION_SECONDS of the
                # change's commit. No request can tell whether every worker has (most pages
                # look the same before and after), so the bound itself is waited.
                time.sleep(GENERATION_SECONDS + 0.2)
            started = time.monotonic()
            mismatches = compare_round(deployment, round_name, rng, seed, use)
            took = time.monotonic() - started
            assert mismatches.compared > 0
            assert not mismatches.found, mismatches.report()
            print(
                f"{round_name}: {mismatches.compared} answers compared in {took:.1f} s, "
                f"{use.check(round_name)}"
            )
    except BaseException:
        print(logs(deployment.directory))
        raise
