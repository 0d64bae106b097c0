#!/usr/bin/env python3
"""List the courses, enroll a user in each of them, and print each course's module titles.

The seed project's API client, ported to this site's Wagtail API v2:

    python examples/enroll_all.py --base-url http://127.0.0.1:8000 --username student
    python examples/enroll_all.py --token wagtail_...          # an API token instead

The password is read from the LEARNING_PASSWORD environment variable or asked for. A token
(create one at /accounts/tokens/) is faster than a password: basic authentication runs the
password hasher on every request.
"""

import argparse
import getpass
import os
import sys

import requests

PAGE_SIZE = 20


def session_for(args):
    session = requests.Session()
    if args.token:
        session.headers["Authorization"] = f"Bearer {args.token}"
    else:
        password = os.environ.get("LEARNING_PASSWORD") or getpass.getpass("Password: ")
        session.auth = (args.username, password)
    session.headers["Accept"] = "application/json"
    return session


class CredentialsRefused(Exception):
    pass


def checked(response):
    # Wrong credentials are refused on every request, the course listing included.
    if response.status_code == 401:
        raise CredentialsRefused
    response.raise_for_status()
    return response


def all_courses(session, api):
    offset = 0
    while True:
        response = session.get(
            f"{api}/courses/", params={"limit": PAGE_SIZE, "offset": offset}, timeout=30
        )
        data = checked(response).json()
        yield from data["items"]
        offset += PAGE_SIZE
        if offset >= data["meta"]["total_count"]:
            return


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--username", default=os.environ.get("LEARNING_USERNAME", "student"))
    parser.add_argument("--token", default=os.environ.get("LEARNING_TOKEN"))
    args = parser.parse_args(argv)
    try:
        enroll_all(session_for(args), args.base_url.rstrip("/") + "/api/v2")
    except CredentialsRefused:
        print("The credentials were refused.", file=sys.stderr)
        return 1
    return 0


def enroll_all(session, api):
    courses = list(all_courses(session, api))
    print(f"{len(courses)} course(s) available.")
    for course in courses:
        response = checked(session.post(f"{api}/courses/{course['id']}/enroll/", timeout=30))
        state = "enrolled" if response.status_code == 201 else "already enrolled"
        print(f"\n{course['title']} ({state})")
        contents = checked(session.get(f"{api}/courses/{course['id']}/contents/", timeout=30))
        for number, module in enumerate(contents.json()["modules"], start=1):
            print(f"  {number}. {module['title']}")


if __name__ == "__main__":
    sys.exit(main())
